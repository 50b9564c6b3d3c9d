"""The class teaching the model its handwriting, as a service outside the pages."""
