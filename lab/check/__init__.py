"""The cross-check of every method against the exact reference, and `lab diff`, its user-facing form."""
