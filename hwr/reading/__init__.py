"""Reading a drawing: any image or canvas drawing to MNIST's 28x28, the model's
answer, and what is inside the network."""
