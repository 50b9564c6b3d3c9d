"""Learning: MNIST, the writing styles and non-digits, the model, training,
fine-tuning and measuring it."""
