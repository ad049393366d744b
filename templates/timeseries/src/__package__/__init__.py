"""Time-series forecasting: baseline, statistical and machine-learning models, backtested."""

__version__ = "0.1.0"
