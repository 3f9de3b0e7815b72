"""`lab sd inspect | sample | safety`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lab.console import LabError, out, progress, table
from lab.diffusion.pipeline import TINY_NOTE, load_pipeline, resolve_device, resolve_dtype


def cmd_inspect(args: argparse.Namespace) -> int:
    from lab.diffusion.inspection import MODULE_COUNT_NOTE, inspect_pipeline, inspect_sd14

    if args.model:
        pipe, _ = load_pipeline(args.model, resolve_device("cpu"), resolve_dtype("float32",
                                                                                 resolve_device("cpu")))
        counts, source = inspect_pipeline(pipe), f"the pipeline in {args.model}"
    else:
        counts, source = inspect_sd14(), "Stable Diffusion v1.4 built from its config (meta device)"
    if args.json:
        print(json.dumps([c.__dict__ | {"course": c.course()} for c in counts]))
        return 0
    rows = []
    for c in counts:
        course = c.course() or ("–", "–", "–")
        rows.append((c.name, c.type_name, f"{c.modules} / {course[0]}", f"{c.tensors} / {course[1]}",
                     f"{c.scalars:,} / " + (f"{course[2]:,}" if course[2] != "–" else "–"),
                     "yes" if c.course() and (c.tensors, c.scalars) == c.course()[1:] else "no"))
    out.print(table(f"{source}: ours / the course's", ["component", "type", "modules",
                    "tensor params", "scalar params", "tensors & scalars match"], rows))
    if all(c.course() and (c.tensors, c.scalars) == c.course()[1:] for c in counts):
        out.print(MODULE_COUNT_NOTE, markup=False)
    else:
        out.print("The parameter counts differ from the course's: this is not SD v1.4's "
                  "architecture.", markup=False)
    return 0


def _pipeline(args, need_safety=False):
    device = resolve_device(args.device)
    dtype = resolve_dtype(args.dtype, device)
    pipe, tiny = load_pipeline(args.model, device, dtype, need_safety)
    if tiny:
        out.print(f"note: {TINY_NOTE}.", markup=False)
    return pipe, tiny


def cmd_sample(args: argparse.Namespace) -> int:
    from torchvision.utils import make_grid, save_image

    from lab.diffusion.sampling import sample

    if args.steps < 1 or args.steps > 1000:
        raise LabError("--steps must be between 1 and 1000")
    pipe, tiny = _pipeline(args)
    scale = 2 ** (len(pipe.vae.config.block_out_channels) - 1) * 2 ** (
        len(pipe.unet.config.block_out_channels) - 1)
    size = args.size or pipe.unet.config.sample_size * 2 ** (len(pipe.vae.config.block_out_channels) - 1)
    if size <= 0 or size % scale:
        raise LabError(f"--size must be a positive multiple of {scale} for this model")
    with progress("sampling", args.steps) as advance:
        s = sample(pipe, args.prompt, args.seed, args.steps, args.guidance, size,
                   callback=lambda i, n: advance())
    rows = [(name, str(t.dtype).replace("torch.", ""), "×".join(map(str, t.shape)), t.numel())
            for name, t in (("text_tokens", s.text_tokens), ("text_vectors", s.text_vectors),
                            ("image_vectors", s.image_vectors), ("rgb_vectors", s.rgb_vectors))]
    out.print(table("Tensors the data flows through", ["tensor", "dtype", "shape", "numel"], rows))
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    save_image(s.image.float(), folder / "image.png")
    save_image(make_grid(s.intermediates, nrow=len(s.intermediates)), folder / "intermediates.png")
    out.print(f"wrote {folder / 'image.png'} and {folder / 'intermediates.png'} (a decoded picture "
              f"every 6 steps, then the final one)" + (" — noise, from the tiny model" if tiny else ""),
              markup=False)
    return 0


def cmd_safety(args: argparse.Namespace) -> int:
    from lab.diffusion.safety import flagged_grid, open_folder, run

    if args.batch_size < 1:
        raise LabError("--batch-size must be at least 1")
    folder = Path(args.folder)
    dataset, _ = open_folder(folder)  # fail fast on a bad folder, before loading any model
    pipe, _ = _pipeline(args, need_safety=True)
    if pipe.safety_checker is None:
        raise LabError("the model has no safety_checker")
    with progress("safety checker", len(dataset)) as advance:
        result = run(pipe.safety_checker, folder, args.batch_size, advance=advance)
    grid = flagged_grid(result, Path(args.out))
    if args.json:
        print(json.dumps({"images": [v.__dict__ for v in result.verdicts], "flagged": result.flagged,
                          "skipped": [{"path": p, "why": w} for p, w in result.skipped],
                          "grid": str(grid) if grid else None}))
        return 0
    out.print(table(f"Safety checker over {folder} (batch {args.batch_size})",
                    ["index", "path", "flagged", "max concept score", "max special score"],
                    [(v.index, v.path, "FLAGGED" if v.flagged else "ok", f"{max(v.concept_scores):.3f}",
                      f"{max(v.special_scores):.3f}") for v in result.verdicts]))
    for path, why in result.skipped:
        out.print(f"skipped {path}: {why}", markup=False)
    out.print(f"{len(result.verdicts)} images checked, {len(result.flagged)} flagged "
              f"{result.flagged}, {len(result.skipped)} files skipped."
              + (f" Flagged images: {grid}" if grid else ""), markup=False)
    return 0


def add_parser(sub) -> None:
    sd = sub.add_parser("sd", help="Stable Diffusion: inspect, sample, safety checker",
                        description="The course's Stable Diffusion exercises. Without --model they "
                        "run on an embedded tiny pipeline (random weights: images are noise).")
    cmds = sd.add_subparsers(dest="sd_command", required=True, parser_class=type(sd))

    def common(p):
        p.add_argument("--model", metavar="PATH", help="a local diffusers-format folder "
                       "(safetensors weights); default: the embedded tiny pipeline")
        p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
        p.add_argument("--dtype", default="auto", choices=["auto", "float32", "float16", "bfloat16"],
                       help="auto: float16 on CUDA, float32 on CPU")

    i = cmds.add_parser("inspect", help="count modules and parameters of each network")
    i.add_argument("--model", metavar="PATH", help="count this local pipeline instead of v1.4")
    i.add_argument("--json", action="store_true")
    i.set_defaults(run=cmd_inspect)

    s = cmds.add_parser("sample", help="the hand-written sampling loop")
    s.add_argument("--prompt", default="a photograph of an astronaut riding a horse")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--steps", type=int, default=33)
    s.add_argument("--guidance", type=float, default=5.0)
    s.add_argument("--size", type=int, default=None, help="image side in pixels (512 for v1.4)")
    s.add_argument("--out", default="sd-output", metavar="DIR")
    common(s)
    s.set_defaults(run=cmd_sample)

    f = cmds.add_parser("safety", help="run the safety checker over an image folder")
    f.add_argument("folder", metavar="DIR")
    f.add_argument("--batch-size", type=int, default=10)
    f.add_argument("--out", default="sd-output", metavar="DIR", help="where flagged.png goes")
    f.add_argument("--json", action="store_true")
    common(f)
    f.set_defaults(run=cmd_safety)
