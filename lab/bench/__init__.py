"""The benchmarks: the timing harness and target decisions (`harness`, `targets`), the runner that
times the registry's prepared calls (`runner`, `labels`, `primals`), one module per sweep family
(`polynomial`, `softmax_jacobian`, `loss_gradients`, `symbolic`, `modes`, `swell`,
`gradbench_sizes`, listed in `families`), the records they write (`records`) and the command
speed benchmark (`commands`). The pages are in `lab.report.bench_*`; the Stable Diffusion
benchmarks in `lab.diffusion.speed` and `lab.diffusion.throughput`."""
