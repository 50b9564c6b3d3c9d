"""The Class page: the class's own digits, their labels, and teaching the model with them."""
