"""The Stable Diffusion page: v1.4's counts beside the course's, the loop on the tiny model, and
the tensor shapes at full size — every comparison made here, from the run's results."""

from __future__ import annotations

from pathlib import Path

from lab.output.markdown import md_table, names, scientific
from lab.output.provenance import header
from lab.report.page_figures import intermediates
from lab.report.results import Diffusion, Results

# Homework exercise 1.3.2, the course's printed table (cell [31]): dtype and shape of each tensor.
COURSE_TENSORS = {"text_tokens": ("int64", (2, 77)), "text_vectors": ("float32", (2, 77, 768)),
                  "image_vectors": ("float32", (1, 4, 64, 64)),
                  "rgb_vectors": ("float16", (1, 3, 512, 512))}
# Column of the counts table -> what a count in it counts.
COUNT_COLUMNS = {"modules": "module", "tensor params": "parameter tensor",
                 "scalar params": "scalar parameter"}


def diffusion_page(results: Results, out: Path) -> str:
    """Counts, the sampling loop, tensor shapes, the safety checker and speed."""
    sd = results.diffusion
    if sd is None:
        return (header("Stable Diffusion") + "Not available in this run: "
                + (results.diffusion_missing or "no diffusion results") + ".\n")
    intermediates(sd.sample.intermediates, out)
    return (header("Stable Diffusion: components, the sampling loop, the safety checker",
                   f"torch generator seed {sd.settings['seed']}", f"{sd.settings['dtype']} on "
                   f"{sd.settings['device']}")
            + "## Parameter counts of v1.4\n\nBuilt from the published configuration on "
            "`torch.device(\"meta\")` — no weights, no download — and counted with "
            "`len(list(m.modules()))`, `len(list(m.parameters()))` and `Σ p.numel()`:\n\n"
            + counts_table(sd) + "\n" + counts_verdict(sd) + "\n\n" + _loop(sd)
            + "\n![intermediates every 6 steps](sd_intermediates.png)\n\n"
            "## The safety checker\n\n`lab sd safety DIR` runs it over every image file under DIR "
            "(each real file once; resize and centre-crop to 224, CLIP normalization, batches of 10, "
            "as the course does) and reports each image's index, path, flag and concept scores; "
            "every file it cannot read is named with the reason.\n\n## Speed\n\n" + _speed(out))


def counts_table(sd: Diffusion) -> str:
    """Component × (modules, tensors, scalars), ours beside the course's."""
    def pair(ours, course):
        """"ours / course's", or "ours / –" for a component the course does not list."""
        return f"{ours:,} / {course:,}" if course is not None else f"{ours:,} / –"

    rows = []
    for c in sd.counts:
        course = c.course() or (None, None, None)
        rows.append((c.name, c.type_name, pair(c.modules, course[0]), pair(c.tensors, course[1]),
                     pair(c.scalars, course[2])))
    return md_table(["component", "type", *(f"{col} (ours / course)" for col in COUNT_COLUMNS)], rows)


def count_differences(sd: Diffusion) -> dict[str, list[str]]:
    """Column -> the components whose count in it differs from the course's."""
    differ: dict[str, list[str]] = {col: [] for col in COUNT_COLUMNS}
    for c in sd.counts:
        course = c.course()
        if course is None:
            continue
        for col, ours, theirs in zip(COUNT_COLUMNS, (c.modules, c.tensors, c.scalars), course,
                                     strict=True):
            if ours != theirs:
                differ[col].append(c.name)
    return differ


def counts_verdict(sd: Diffusion) -> str:
    """Which counts equal the course's and which differ, as this run found them."""
    from lab.diffusion.inspection import MODULE_COUNT_NOTE

    differ = count_differences(sd)
    compared = [c.name for c in sd.counts if c.course() is not None]
    params_same = not differ["tensor params"] and not differ["scalar params"]
    said = [f"{COUNT_COLUMNS[col]} counts differ from the course's for {names(who)}"
            for col, who in differ.items() if who]
    if not said:
        return f"Every count of {names(compared)} equals the course's."
    text = "In this run " + "; ".join(said) + "."
    if params_same:
        # The note explains module counts that differ while the parameters are the same.
        text += " " + MODULE_COUNT_NOTE
    return text


def _shape(shape) -> str:
    return "×".join(map(str, shape))


def _loop(sd: Diffusion) -> str:
    from lab.diffusion.pipeline import TINY_NOTE

    s, st = sd.sample, sd.settings
    tensors = {"text_tokens": s.text_tokens, "text_vectors": s.text_vectors,
               "image_vectors": s.image_vectors, "rgb_vectors": s.rgb_vectors}
    table = md_table(["tensor", "dtype (tiny run)", "shape (tiny run)", "shape at v1.4's size",
                      "course's dtype, shape"],
                     [(name, str(t.dtype).replace("torch.", ""), _shape(t.shape),
                       _shape(sd.full_size[name]), f"{COURSE_TENSORS[name][0]}, "
                       f"{_shape(COURSE_TENSORS[name][1])}") for name, t in tensors.items()])
    same = [n for n in tensors if tuple(sd.full_size[n]) == COURSE_TENSORS[n][1]]
    shapes = ("every one equals the course's shape" if len(same) == len(tensors) else
              f"{names([n for n in tensors if n not in same])} differ from the course's")
    return ("## The sampling loop\n\n`lab sd sample` writes the loop out: tokenize [\"\", prompt] → "
            "encode → seeded Gaussian latents × the scheduler's initial sigma → "
            f"{st['steps']} PLMS steps, each running the UNet on both halves and guiding with "
            f"uncond + {st['guidance']:g}·(text − uncond) → decode latents / "
            f"{sd.scaling_factor:g} (v1.4's VAE scaling factor) through the VAE. On the embedded "
            f"tiny pipeline ({TINY_NOTE}) our loop's image and diffusers' "
            f"`StableDiffusionPipeline.__call__` differ by at most {scientific(sd.pipeline_gap)} "
            f"(same weights, seed {st['seed']}, {st['steps']} steps, {st['dtype']}, "
            f"{st['device']}).\n\n" + table
            + "\nThe shapes at v1.4's size take the batch sizes from the tiny run and every other "
            f"dimension from v1.4's configuration; {shapes}.\n")


def _speed(out: Path) -> str:
    measured = out / "bench" / "sd_pipeline.md"
    if measured.is_file():
        return "Measured by `benchmarks/sd_pipeline.py`: [steps/s and images/s](bench/sd_pipeline.md).\n"
    return ("`benchmarks/sd_pipeline.py` measures our loop's steps/s against the pipeline's and the "
            "safety checker's images/s; no measurement is under bench/ for this report.\n")
