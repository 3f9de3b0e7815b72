"""The Stable Diffusion speed benchmark: measured by `lab.diffusion.speed` with the harness's timer,
written as sd_pipeline.json and sd_pipeline.md (the page computed from the record)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from lab.bench.harness import Timing, measure, spread, threads, threads_sentence
from lab.diffusion.speed import measure_speed
from lab.output.folders import atomic_write_text
from lab.output.markdown import md_table


def run(out: Path, device: torch.device, steps: int = 33, guidance: float = 5.0,
        batch_sizes=(1, 10, 32, 64)) -> dict:
    """Measure (lab.diffusion.speed), then write sd_pipeline.json and .md under out; returns the
    record."""
    data = measure_speed(device, measure, steps, guidance, batch_sizes) | {"threads": threads()}
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "sd_pipeline.json", json.dumps(data, indent=1))
    atomic_write_text(out / "sd_pipeline.md", page(data))
    return data


def page(data: dict) -> str:
    """The markdown page of a speed record."""
    ours, theirs = (Timing.from_json(data["loop"][k]) for k in ("ours", "pipeline"))
    safety = [Timing.from_json(s) for s in data["safety"]]
    best = max(data["safety"], key=lambda s: s["images_per_s"])
    return (f"# Stable Diffusion speed on {data['device']}\n\n_{data['date']} · {data['model']} · "
            f"{data['dtype']} · {data['size']}×{data['size']} · {data['steps']} steps · guidance "
            f"{data['guidance']} · {threads_sentence(data.get('threads', {}))}._\n\n"
            + md_table(["what", "median time ± IQR/2", "steps/s"], [
                ("our loop", spread(ours), f"{data['loop']['ours_steps_per_s']:.3g}"),
                ("diffusers pipeline", spread(theirs), f"{data['loop']['pipeline_steps_per_s']:.3g}")])
            + "\n" + md_table(["safety checker batch", "median time ± IQR/2", "images/s"],
                              [(s.size, spread(s), f"{s.size / s.median_s:.3g}") for s in safety])
            + f"\nBest batch size: {best['batch']} ({best['images_per_s']:.3g} images/s); our loop "
            f"takes {ours.median_s / theirs.median_s:.3g}× the pipeline's time.\n")
