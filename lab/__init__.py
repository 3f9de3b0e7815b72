"""lab: every derivative of a deep-learning course computed several ways and cross-checked."""

__version__ = "0.1.0"
