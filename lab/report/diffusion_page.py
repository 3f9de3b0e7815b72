"""The Stable Diffusion page: v1.4's counts beside the course's, and the loop on the tiny model."""

from __future__ import annotations

from pathlib import Path

from lab.crosscheck import Row
from lab.report.markdown import md_table
from lab.report.meta import header


def diffusion_page(rows: list[Row], out: Path) -> str:
    try:
        import torch
        from torchvision.utils import make_grid, save_image

        from lab.diffusion.inspection import MODULE_COUNT_NOTE, inspect_sd14
        from lab.diffusion.pipeline import TINY_NOTE, load_pipeline
        from lab.diffusion.sampling import pipeline_image, sample
    except ImportError:
        return header("Stable Diffusion") + "Not available: install the `diffusion` extra.\n"
    counts = inspect_sd14()
    table = md_table(
        ["component", "type", "modules (ours / course)", "tensor params (ours / course)",
         "scalar params (ours / course)"],
        [(c.name, c.type_name, f"{c.modules} / {c.course()[0]}", f"{c.tensors} / {c.course()[1]}",
          f"{c.scalars:,} / {c.course()[2]:,}") for c in counts])
    pipe, _ = load_pipeline(None, torch.device("cpu"), torch.float32)
    s = sample(pipe, "a photograph of an astronaut riding a horse", seed=0, steps=33, guidance=5.0)
    size = s.rgb_vectors.shape[-1]
    theirs = pipeline_image(pipe, "a photograph of an astronaut riding a horse", 0, 33, 5.0, size)
    gap = float((theirs - s.image).abs().max())
    save_image(make_grid(s.intermediates, nrow=len(s.intermediates)), out / "sd_intermediates.png")
    tensors = md_table(["tensor", "dtype", "shape"], [
        (name, str(t.dtype).replace("torch.", ""), "×".join(map(str, t.shape)))
        for name, t in (("text_tokens", s.text_tokens), ("text_vectors", s.text_vectors),
                        ("image_vectors", s.image_vectors), ("rgb_vectors", s.rgb_vectors))])
    return (header("Stable Diffusion: components, the sampling loop, the safety checker")
            + "## Parameter counts of v1.4\n\nBuilt from the published configuration on "
            "`torch.device(\"meta\")` — no weights, no download — and counted with "
            "`len(list(m.modules()))`, `len(list(m.parameters()))` and `Σ p.numel()`:\n\n" + table
            + f"\nEvery tensor and scalar count equals the course's. {MODULE_COUNT_NOTE}\n\n"
            "## The sampling loop\n\n`lab sd sample` writes the loop out: tokenize [\"\", prompt] → "
            "encode → seeded Gaussian latents × the scheduler's initial sigma → 33 PLMS steps, each "
            "running the UNet on both halves and guiding with uncond + 5·(text − uncond) → decode "
            f"latents / 0.18215 through the VAE. On the embedded tiny pipeline ({TINY_NOTE}) our "
            f"loop's image and diffusers' `StableDiffusionPipeline.__call__` differ by at most "
            f"{gap:.1e} (same weights, seed 0, 33 steps, fp32, CPU).\n\n" + tensors
            + "\nAt full size the same tensors are 2×77 int64, 2×77×768 float32, 1×4×64×64 and "
            "1×3×512×512.\n\n![intermediates every 6 steps](sd_intermediates.png)\n\n"
            "## The safety checker\n\n`lab sd safety DIR` runs it over an image folder the course's "
            "way (ImageFolder, resize and centre-crop to 224, CLIP normalization, batches of 10) and "
            "reports each image's index, path, flag and concept scores; unreadable files are named "
            "and skipped.\n\n## Speed\n\n" + _speed(out))


def _speed(out: Path) -> str:
    measured = out / "bench" / "sd_pipeline.md"
    if measured.is_file():
        return "Measured by `benchmarks/sd_pipeline.py`: [steps/s and images/s](bench/sd_pipeline.md).\n"
    return ("`benchmarks/sd_pipeline.py` measures our loop's steps/s against the pipeline's and the "
            "safety checker's images/s; it has not been run on a CUDA machine for this report.\n")
