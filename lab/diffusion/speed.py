"""Speed of our sampling loop against diffusers' pipeline, and of the safety checker, on one device
in one run. On CUDA: the full-size v1.4 architecture with random weights, fp16, 512×512. On the CPU:
the embedded tiny pipeline (the numbers then say nothing about real models, only that it runs).

The timer is passed in (`lab.bench.harness.measure`, which lives above this package); the page is
written by `lab.report.bench_sd`."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import torch

from lab.output.provenance import machine, versions


def full_size_pipeline(device: torch.device, dtype: torch.dtype):
    """v1.4's architecture with random weights (no download) — speed does not depend on weights."""
    from lab.diffusion.components import build_sd14
    from lab.diffusion.pipeline import assemble_pipeline

    torch.manual_seed(0)
    # The byte tokenizer's ids stay below 514, inside CLIP's 49408-token embedding table.
    return assemble_pipeline(build_sd14(device="cpu"), 77).to(device, dtype)


def measure_speed(device: torch.device, measure: Callable, steps: int = 33, guidance: float = 5.0,
                  batch_sizes=(1, 10, 32, 64)) -> dict:
    """Time our loop, the pipeline's and the safety checker at each batch size with `measure`
    (the harness's signature: measure(name, size, fn, *args, **options) → Timing); returns the
    record (timings as JSON)."""
    from lab.diffusion.components import native_size
    from lab.diffusion.pipeline import load_pipeline
    from lab.diffusion.sampling import pipeline_image, sample

    cuda = device.type == "cuda"
    dtype = torch.float16 if cuda else torch.float32
    pipe = full_size_pipeline(device, dtype) if cuda else load_pipeline(None, device, dtype)[0]
    size = native_size(pipe.vae.config, pipe.unet.config)
    prompt = "a photograph of an astronaut riding a horse"
    ours = measure("our loop", size, lambda: sample(pipe, prompt, 0, steps, guidance, size).rgb_vectors,
                   min_repeats=3, min_time=0.0, memory=False)
    theirs = measure("StableDiffusionPipeline.__call__", size,
                     lambda: pipeline_image(pipe, prompt, 0, steps, guidance, size),
                     min_repeats=3, min_time=0.0, memory=False)
    checker = pipe.safety_checker
    safety = []
    for b in batch_sizes:
        x = torch.randn(b, 3, 224, 224, generator=torch.Generator().manual_seed(b)).to(device, dtype)
        images = [im.float().cpu().numpy() for im in x]
        safety.append(measure(f"safety checker, batch {b}", b, lambda x=x, images=images: checker(
            images=images, clip_input=x)[1], min_repeats=3, min_time=0.5, memory=False))
    return {
        "date": datetime.date.today().isoformat(),
        "device": torch.cuda.get_device_name(device) if cuda else f"CPU ({machine()})",
        "dtype": str(dtype), "size": size, "steps": steps, "guidance": guidance,
        "model": "SD v1.4 architecture, random weights" if cuda else "embedded tiny pipeline",
        "versions": versions(), "torch_threads": torch.get_num_threads(),
        "loop": {"ours_steps_per_s": steps / ours.median_s, "pipeline_steps_per_s": steps / theirs.median_s,
                 "ours": ours.as_json(), "pipeline": theirs.as_json()},
        "safety": [{"batch": t.size, "images_per_s": t.size / t.median_s, **t.as_json()}
                   for t in safety],
    }
