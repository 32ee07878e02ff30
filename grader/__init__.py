"""The concurrency grader: autograded exercises on Python threads and processes."""

# The one place the version is written: pyproject.toml reads it from here, and every result carries it.
__version__ = "0.1.0"
