"""The safety checker's images/s over a generated folder of small images: the plain engine and the
Ray Data engine at 1 and 2 workers, with the embedded tiny checker on this machine's CPUs, plus a
scaling plan for N GPUs computed from numbers measured in the same run. Writes
reports/bench/safety_throughput.{json,md,png}."""

import argparse
import sys
from pathlib import Path

from lab.diffusion.throughput import FULL_IMAGES, MIN_IMAGES, QUICK_IMAGES
from lab.errors import LabError
from lab.report.bench_safety import run

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help=f"{QUICK_IMAGES} images instead of {FULL_IMAGES}")
    p.add_argument("--images", type=int, default=None, help="this many images instead")
    p.add_argument("--out", default="reports/bench")
    a = p.parse_args()
    if a.images is not None and a.images < MIN_IMAGES:
        print(f"safety_throughput.py: error: --images must be at least {MIN_IMAGES}",
              file=sys.stderr)
        sys.exit(2)
    try:
        data = run(Path(a.out), quick=a.quick, images=a.images)
    except LabError as e:
        print(f"safety_throughput.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    rates = [f"plain ({r['torch_threads']} threads) {r['steady_images_per_s']:.0f}" for r in data["plain"]]
    rates += [f"Ray ×{r['workers']} {r['steady_images_per_s']:.0f}" for r in data["ray"]]
    print(f"steady images/s: {', '.join(rates)}; wrote {a.out}/safety_throughput.md")
    sys.exit(0)
