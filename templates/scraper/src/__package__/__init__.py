"""A polite catalogue crawler that stores books in a database, then analyses what it collected."""

__version__ = "0.1.0"
