"""hwr's own Streamlit components (JavaScript with a Python side): the canvas, the
wall, the countdown and the spoken answer."""
