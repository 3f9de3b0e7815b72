"""`lab sd inspect | sample | safety`."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from lab.diffusion.jsonout import inspect_json, safety_json
from lab.diffusion.modelfolder import MAX_IMAGE_SIDE, ModelFolder
from lab.diffusion.pipeline import TINY_NOTE, load, open_model, resolve_device, resolve_dtype
from lab.errors import LabError
from lab.output.folders import atomic_write, check_addable
from lab.output.terminal import err, escaped, out, printable, progress, table

# torch.Generator.manual_seed takes an unsigned 64-bit seed (it wraps negative ones around).
SEED_MAX = 2**64 - 1
# Memory grows with the square of the side (and attention with its fourth power): beyond 4× the
# model's own size a run would be killed for memory rather than fail with a message.
MAX_SIZE_FACTOR = 4


def cmd_inspect(args: argparse.Namespace) -> int:
    """Count modules and parameters of each network: v1.4 on the meta device, or --model's."""
    from lab.diffusion.inspection import MODULE_COUNT_NOTE, inspect_pipeline, inspect_sd14

    if args.model is not None:
        cpu = resolve_device("cpu")
        pipe = load(open_model(args.model), cpu, resolve_dtype("float32", cpu))
        counts, source = inspect_pipeline(pipe), f"the pipeline in {escaped(args.model)}"
    else:
        counts, source = inspect_sd14(), "Stable Diffusion v1.4 built from its config (meta device)"
    if args.json:
        print(json.dumps(inspect_json(counts, args.model or source)))  # the path as given
        return 0
    rows = []
    for c in counts:
        course = c.course() or ("–", "–", "–")
        rows.append((c.name, c.type_name, f"{c.modules} / {course[0]}", f"{c.tensors} / {course[1]}",
                     f"{c.scalars:,} / " + (f"{course[2]:,}" if course[2] != "–" else "–"),
                     "yes" if c.matches_course() else "no"))
    out.print(table(f"{source}: ours / the course's", ["component", "type", "modules",
                    "tensor params", "scalar params", "tensors & scalars match"], rows))
    if all(c.matches_course() for c in counts):
        out.print(MODULE_COUNT_NOTE, markup=False)
    else:
        out.print("The parameter counts differ from the course's: this is not SD v1.4's "
                  "architecture.", markup=False)
    return 0


def _load(args: argparse.Namespace, folder: ModelFolder):
    """The checked model folder loaded on --device in --dtype; the tiny model's note on stderr."""
    device = resolve_device(args.device)
    pipe = load(folder, device, resolve_dtype(args.dtype, device))
    if folder.tiny:
        err.print(f"note: {TINY_NOTE}.", markup=False, soft_wrap=True)
    return pipe


def check_sample_ranges(args: argparse.Namespace) -> None:
    """The ranges that do not depend on the model, checked before anything is built or loaded."""
    if args.steps < 1:
        raise LabError(f"--steps {args.steps}: must be at least 1")
    if not 0 <= args.seed <= SEED_MAX:
        raise LabError(f"--seed {args.seed}: must be between 0 and 2**64-1 ({SEED_MAX})")
    if not math.isfinite(args.guidance):
        raise LabError(f"--guidance {args.guidance}: must be a finite number")
    if args.size is not None and args.size < 1:
        raise LabError(f"--size {args.size}: must be a positive number of pixels")


def check_sample_model_ranges(args: argparse.Namespace, folder: ModelFolder) -> int:
    """--steps and --size against the model's scheduler and architecture (read from its config
    files, before its weights load); returns the image side to sample."""
    folder.check_steps(args.steps)
    multiple, native = folder.size_multiple(), folder.native_size()
    size, largest = args.size or native, min(MAX_SIZE_FACTOR * native, MAX_IMAGE_SIDE)
    if size % multiple or size > largest:
        raise LabError(f"--size {size}: must be a multiple of {multiple} up to {largest} for "
                       f"this model (its own size is {native})")
    return size


def _png(tensor) -> Callable[[BinaryIO], None]:
    """A writer of tensor as a PNG, for atomic_write."""
    from torchvision.utils import save_image

    return lambda f: save_image(tensor, f, format="png")


def cmd_sample(args: argparse.Namespace) -> int:
    """Run the hand-written sampling loop; print its tensors and write two PNGs under --out."""
    from torchvision.utils import make_grid

    from lab.diffusion.sampling import sample

    check_sample_ranges(args)
    target = check_addable(args.out)
    resolve_device(args.device)  # a missing CUDA device is reported before the model is built
    folder = open_model(args.model)
    size = check_sample_model_ranges(args, folder)
    pipe = _load(args, folder)
    with progress("sampling", args.steps) as advance:
        s = sample(pipe, args.prompt, args.seed, args.steps, args.guidance, size,
                   callback=lambda i, n: advance())
    rows = [(name, str(t.dtype).replace("torch.", ""), "×".join(map(str, t.shape)), t.numel())
            for name, t in (("text_tokens", s.text_tokens), ("text_vectors", s.text_vectors),
                            ("image_vectors", s.image_vectors), ("rgb_vectors", s.rgb_vectors))]
    out.print(table("Tensors the data flows through", ["tensor", "dtype", "shape", "numel"], rows))
    image = atomic_write(target / "image.png", _png(s.image))
    grid = atomic_write(target / "intermediates.png",
                        _png(make_grid(s.intermediates, nrow=len(s.intermediates))))
    out.print(f"wrote {escaped(image)} and {escaped(grid)} (a decoded picture every 6 steps, then "
              "the final one)" + (" — noise, from the tiny model" if folder.tiny else ""),
              soft_wrap=True)
    return 0


def cmd_safety(args: argparse.Namespace) -> int:
    """Run the safety checker over every image under DIR; name every file that was not checked."""
    from lab.diffusion.corpus_command import cmd_safety_ray, refuse_ray_options
    from lab.diffusion.safety import check_batch_size, flagged_grid, open_folder, run

    if getattr(args, "engine", "plain") == "ray":
        return cmd_safety_ray(args)
    refuse_ray_options(args)
    if Path(args.folder).is_file():
        raise LabError(f"{printable(args.folder)}: a list file of paths is read by --engine ray; "
                       "the plain engine takes a folder")
    check_batch_size(args.batch_size)
    target = check_addable(args.out)
    images = Path(args.folder)
    opened = open_folder(images, args.follow_links)  # a bad folder fails before the model loads
    pipe = _load(args, open_model(args.model, need_safety=True))
    if pipe.safety_checker is None:
        raise LabError("the model has no safety_checker")
    with progress("safety checker", len(opened[0])) as advance:
        result = run(pipe.safety_checker, images, args.batch_size, advance=advance, opened=opened)
    tiles = flagged_grid(result)
    grid = atomic_write(target / "flagged.png", _png(tiles)) if tiles is not None else None
    if args.json:
        checked, unreadable = len(result.verdicts), len(result.skipped)
        counts = {"listed": checked + unreadable, "checked": checked, "unreadable": unreadable,
                  "pending": 0, "flagged": len(result.flagged), "complete": True, "balanced": True}
        print(json.dumps(safety_json("plain", args.folder, counts,
                                     [v.__dict__ for v in result.verdicts], result.skipped,
                                     {"grid": str(grid) if grid else None, "results": None,
                                      "accounting": None})))
        return 0
    _print_safety(args, result, grid)
    return 0


def _print_safety(args: argparse.Namespace, result, grid: Path | None) -> None:
    out.print(table(f"Safety checker over {escaped(args.folder)} (batch {args.batch_size})",
                    ["index", "path", "flagged", "max concept score", "max special score"],
                    [(v.index, escaped(v.path), "FLAGGED" if v.flagged else "ok",
                      f"{max(v.concept_scores):.3f}", f"{max(v.special_scores):.3f}")
                     for v in result.verdicts]))
    # One line per entry, never wrapped: these lines are read by grep as much as by people.
    for path, why in result.skipped:
        out.print(f"skipped {escaped(path)}: {escaped(why)}", soft_wrap=True)
    out.print(f"{len(result.verdicts)} images checked, {len(result.flagged)} flagged "
              f"{result.flagged}, {len(result.skipped)} skipped."
              + (f" Flagged images: {escaped(grid)}" if grid
                 else " Nothing was flagged, so nothing was written."), soft_wrap=True)
