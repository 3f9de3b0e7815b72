"""`lab sd inspect | sample | safety`: the arguments. The commands themselves live in
`lab.diffusion.commands`, imported only when one runs (it loads torch, diffusers and transformers)."""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import threading
from collections.abc import Callable, Iterator

from lab.errors import LabError
from lab.output.terminal import printable

# argparse takes "-1" and "-1.5" for values but "-1.5e1" for an unknown option ("expected one
# argument"): a number in any notation is a value here (no option of `sd` looks like one).
NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@contextlib.contextmanager
def _sigterm_as_sigint() -> Iterator[None]:
    """SIGTERM (`kill`, a job scheduler, a container stopping) handled as Ctrl-C is: the run ends
    in one line with its files whole and Ray stopped, instead of dying mid-write or in Ray's own
    handler (which aborts with a C++ stack dump)."""
    handler = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(handler):
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# What each engine imports, by the extra that installs it: checked before the command runs, so
# that a missing or broken library is one line naming the extra, not a traceback from deep inside.
EXTRAS = {"diffusion": ("torch", "torchvision", "PIL", "safetensors", "transformers", "diffusers"),
          "ray": ("ray", "ray.data")}


def require(extra: str) -> None:
    """LabError naming the extra to install when one of its modules cannot be imported."""
    import importlib

    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except Exception as e:  # noqa: BLE001 — missing (ImportError) or broken: one line either way
            why = "not installed" if isinstance(e, ImportError) else f"{type(e).__name__}: {e}"
            install = "diffusion,ray" if extra == "ray" else extra
            raise LabError(f"the {extra} extra is needed: {module} cannot be imported "
                           f"({printable(why)}); pip install -e '.[{install}]'") from None


def check_words(args: argparse.Namespace) -> None:
    """The texts that name a file or folder, refused when empty: an empty SOURCE or --model would
    otherwise stand for the current folder (a walk of everything under it)."""
    if getattr(args, "folder", None) == "":
        raise LabError("SOURCE is empty: name a folder of images (or, with --engine ray, a list "
                       "file of image paths)")
    if getattr(args, "model", None) == "":
        raise LabError("--model is empty: name a diffusers-format folder, or leave --model out "
                       "for the embedded tiny pipeline")


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        check_words(args)
        with _sigterm_as_sigint():
            require("diffusion")
            if getattr(args, "engine", "plain") == "ray":
                require("ray")
            from lab.diffusion import commands

            return getattr(commands, name)(args)

    return run


def add_parser(sub) -> None:
    """The `sd` command and its three subcommands."""
    sd = sub.add_parser("sd", help="Stable Diffusion: inspect, sample, safety checker",
                        description="The course's Stable Diffusion exercises. Without --model they "
                        "run on an embedded tiny pipeline (random weights: images are noise).")
    cmds = sd.add_subparsers(dest="sd_command", required=True, parser_class=type(sd))

    def common(p):
        p.add_argument("--model", metavar="PATH", help="a local diffusers-format folder "
                       "(safetensors weights) (default: the embedded tiny pipeline)")
        p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                       help="where to run: auto is cuda when a GPU is visible, else cpu "
                            "(default: %(default)s)")
        p.add_argument("--dtype", default="auto", choices=["auto", "float32", "float16", "bfloat16"],
                       help="the weights' type; auto: float16 on CUDA, float32 on CPU "
                            "(default: %(default)s)")

    i = cmds.add_parser("inspect", help="count modules and parameters of each network",
                        description="Count the modules, tensor parameters and scalar parameters of "
                        "each network of Stable Diffusion v1.4 (built from its config on the meta "
                        "device: nothing is downloaded) or of a local pipeline, beside the "
                        "course's numbers.")
    i.add_argument("--model", metavar="PATH", help="count this local pipeline instead "
                   "(default: v1.4 built from its config)")
    i.add_argument("--json", action="store_true",
                   help="print one JSON object (schema lab.sd.inspect, documented in the README)")
    i.set_defaults(run=_command("cmd_inspect"))

    s = cmds.add_parser("sample", help="the hand-written sampling loop",
                        description="Run the course's hand-written sampling loop (tokenize, "
                        "encode, denoise with classifier-free guidance, decode) and write the "
                        "image and a strip of intermediate pictures as PNGs under --out.")
    s._negative_number_matcher = NEGATIVE_NUMBER  # --guidance -1.5e1
    s.add_argument("--prompt", default="a photograph of an astronaut riding a horse",
                   help="the text to draw (default: %(default)s)")
    s.add_argument("--seed", type=int, default=0,
                   help="the noise's seed, 0 to 2**64-1 (default: %(default)s)")
    s.add_argument("--steps", type=int, default=33, help="denoising steps, 1 up to what the "
                   "model's scheduler takes (999 for v1.4's PNDM: 1000 training timesteps, "
                   "offset 1) (default: %(default)s)")
    s.add_argument("--guidance", type=float, default=5.0, help="classifier-free guidance scale "
                   "(a finite number) (default: %(default)s)")
    s.add_argument("--size", type=int, default=None, help="image side in pixels, a multiple of "
                   "the model's factor up to 4× its own size (64 to 2048 for v1.4) (default: the "
                   "model's own, 512 for v1.4)")
    s.add_argument("--out", default="sd-output", metavar="DIR",
                   help="where image.png and intermediates.png go (default: %(default)s)")
    common(s)
    s.set_defaults(run=_command("cmd_sample"))

    f = cmds.add_parser("safety", help="run the safety checker over an image folder",
                        description="The plain engine checks a folder in one process (the "
                        "course's way). --engine ray checks a folder or a list file of paths on "
                        "Ray Data: resumable Parquet parts under OUT/safety, every file accounted for.")
    f.add_argument("folder", metavar="SOURCE", help="a folder of images (walked recursively); with "
                   "--engine ray also a text file listing one image path per line")
    f.add_argument("--batch-size", type=int, default=10, metavar="N",
                   help="images per batch, 1 to 256 (default: %(default)s)")
    f.add_argument("--out", default="sd-output", metavar="DIR", help="where flagged.png goes "
                   "(plain), or OUT/safety with the result parts and accounting.json (ray) "
                   "(default: %(default)s)")
    f.add_argument("--json", action="store_true", help="print one JSON object (schema "
                   "lab.sd.safety, one shape for both engines, documented in the README)")
    f.add_argument("--engine", default="plain", choices=["plain", "ray"],
                   help="plain: one process, a DataLoader-style loop; ray: Ray Data, resumable "
                        "(default: %(default)s)")
    f.add_argument("--address", metavar="ADDR", help="ray: join this Ray cluster ('auto', "
                   "host:6379 or ray://host:10001) (default: start Ray here on at most 2 CPUs)")
    f.add_argument("--workers", type=int, metavar="N", help="ray: checker actors, each loading the "
                   "model once (default: one per GPU, else one per CPU of the cluster)")
    f.add_argument("--part-size", type=int, metavar="N", help="ray: files per result part, the "
                   "unit a rerun skips when done (default: 1000)")
    f.add_argument("--follow-links", action="store_true", help="also follow symbolic links that "
                   "lead out of SOURCE (by default they are named and skipped)")
    common(f)
    f.set_defaults(run=_command("cmd_safety"))
