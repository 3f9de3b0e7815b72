"""The benchmarks: the timing harness, the sweeps, and their summary (JSON, markdown, plots)."""
