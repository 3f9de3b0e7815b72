"""Our sampling loop's steps/s against diffusers' pipeline, and the safety checker's images/s at
several batch sizes, on one device in one run. On CUDA: SD v1.4's architecture (random weights),
fp16, 512×512, 33 steps; on the CPU: the tiny pipeline. Writes reports/bench/sd_pipeline.*"""

import argparse
import sys
from pathlib import Path

from lab.diffusion.pipeline import resolve_device
from lab.errors import LabError
from lab.report.bench_sd import run

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--steps", type=int, default=33)
    p.add_argument("--out", default="reports/bench")
    a = p.parse_args()
    try:
        device = resolve_device(a.device)
    except LabError as e:
        print(f"sd_pipeline.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    data = run(Path(a.out), device, steps=a.steps)
    print(f"{data['device']}: our loop {data['loop']['ours_steps_per_s']:.3g} steps/s, pipeline "
          f"{data['loop']['pipeline_steps_per_s']:.3g} steps/s; wrote {a.out}/sd_pipeline.md")
    sys.exit(0)
