"""The server's own machinery, apart from any page: changes to Streamlit's runtime
applied once at start-up, and the model's load in the background."""
