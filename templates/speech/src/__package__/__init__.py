"""Speech-to-text: log-mel features, a convolutional front end, a recurrent core and CTC."""

__version__ = "0.1.0"
