"""The light core of the lab (no torch, no JAX): time budgets, symbolic helpers, the certified exact
reference, the error metric ρ, the tolerance policy and the verdicts."""
