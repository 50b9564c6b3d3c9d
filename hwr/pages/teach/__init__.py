"""The Teach page: the teacher's class, its lesson and the projector view."""
