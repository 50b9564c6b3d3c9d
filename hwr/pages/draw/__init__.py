"""The Draw page: a drawing, its answer, and what it does for a running class."""
