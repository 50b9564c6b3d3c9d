"""The Evaluation page: how good the model is, and the errors behind its figures."""
