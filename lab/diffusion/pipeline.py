"""Loading a Stable Diffusion pipeline from a local folder — a user's real weights, or the embedded
tiny pipeline, which is built once, saved with `save_pretrained` and loaded back through the same
`from_pretrained(..., local_files_only=True)` code. Safetensors only: nothing is unpickled."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from lab.console import LabError

COMPONENTS = ("vae", "text_encoder", "tokenizer", "unet", "scheduler")
TINY_NOTE = ("the embedded tiny pipeline has random weights: its images are noise by construction, "
             "and its safety checker's verdicts mean nothing")


def cache_dir() -> Path:
    return Path(os.environ.get("LAB_CACHE", Path.home() / ".cache" / "lab")) / "tiny-sd"


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LabError("--device cuda: no CUDA device is available here")
    return torch.device(name)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    return {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16,
            "fp16": torch.float16, "bfloat16": torch.bfloat16}[name]


def write_byte_tokenizer(folder: Path, max_length: int):
    """A byte-level CLIPTokenizer: each of the 256 byte characters, also with `</w>`, plus the
    start and end tokens; no merges. Enough to tokenize any text, offline."""
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    chars = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab.update({"<|startoftext|>": 2 * len(chars), "<|endoftext|>": 2 * len(chars) + 1})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"),
                         model_max_length=max_length)


def build_tiny_pipeline(folder: Path) -> Path:
    """Build the tiny pipeline and save it in diffusers' format (safetensors) under folder."""
    from diffusers import PNDMScheduler, StableDiffusionPipeline
    from transformers import CLIPImageProcessor

    from lab.diffusion.components import TINY_MAX_LENGTH, build_tiny

    parts = build_tiny(seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = write_byte_tokenizer(Path(tmp), TINY_MAX_LENGTH)
        pipe = StableDiffusionPipeline(
            vae=parts["vae"], text_encoder=parts["text_encoder"], tokenizer=tokenizer,
            unet=parts["unet"], scheduler=PNDMScheduler(skip_prk_steps=True),
            safety_checker=parts["safety_checker"], feature_extractor=CLIPImageProcessor(),
            requires_safety_checker=True)
        # Write aside, then rename: an interrupted build never leaves a half-written folder.
        staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
        pipe.save_pretrained(staging, safe_serialization=True)
    if folder.exists():  # another process finished first
        shutil.rmtree(staging)
    else:
        staging.replace(folder)
    return folder


def check_model_folder(path: Path, need_safety: bool = False) -> None:
    """A clear error naming what is missing, before diffusers gets to say it its own way."""
    if not path.is_dir():
        raise LabError(f"--model {path}: no such folder")
    if not (path / "model_index.json").is_file():
        raise LabError(f"--model {path}: model_index.json is missing (not a diffusers-format folder)")
    needed = list(COMPONENTS) + (["safety_checker"] if need_safety else [])
    missing = [c for c in needed if not (path / c).is_dir()]
    weightless = [c for c in ("vae", "text_encoder", "unet") + (("safety_checker",) if need_safety
                                                                else ())
                  if (path / c).is_dir() and not list((path / c).glob("*.safetensors"))]
    if missing or weightless:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"no .safetensors weights in {', '.join(weightless)} (pickled .bin files are not "
             "loaded)"] if weightless else [])
        raise LabError(f"--model {path}: " + "; ".join(parts))


def load_pipeline(model: str | None, device: torch.device, dtype: torch.dtype,
                  need_safety: bool = False):
    """(pipeline, is_tiny): the user's model folder, or the embedded tiny pipeline."""
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    for logging in (diffusers_logging, transformers_logging):
        logging.set_verbosity_error()
        logging.disable_progress_bar()
    if model is None:
        path = cache_dir()
        if not (path / "model_index.json").is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            build_tiny_pipeline(path)
    else:
        path = Path(model)
    check_model_folder(path, need_safety)
    pipe = StableDiffusionPipeline.from_pretrained(path, local_files_only=True, use_safetensors=True,
                                                   dtype=dtype)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device), model is None
