"""An intent chatbot: a trained classifier, pattern entities, dialogue handlers, a chat page."""

__version__ = "0.1.0"
