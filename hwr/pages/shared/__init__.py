"""What every page uses: the language, the markup and stylesheet, the class's state,
the teacher's session and the model that answers."""
