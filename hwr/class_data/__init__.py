"""The class's state: the shared database, classes, the wall and collected digits, the
models a class taught, and the teacher's rules."""
