"""The two sizes every part of hwr agrees on."""

IMAGE_SIZE = 28  # MNIST's images, and so the network's input: 28 x 28 pixels
CANVAS_SIZE = 280  # the drawing canvas's own pixels a side (one digit); 10x MNIST
