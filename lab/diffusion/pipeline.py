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

from lab.diffusion.modelfolder import ModelFolder, check_model_folder, reason
from lab.errors import LabError
from lab.output.terminal import printable

__all__ = ["TINY_NOTE", "assemble_pipeline", "build_tiny_pipeline", "cache_dir",
           "check_model_folder", "load", "load_pipeline", "open_model", "resolve_device",
           "resolve_dtype", "write_byte_tokenizer"]

TINY_NOTE = ("the embedded tiny pipeline has random weights: its images are noise by construction, "
             "and its safety checker's verdicts mean nothing")
DTYPES = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16,
          "fp16": torch.float16, "bfloat16": torch.bfloat16}


def cache_dir() -> Path:
    """Where the tiny pipeline is built: $LAB_CACHE/tiny-sd, else ~/.cache/lab/tiny-sd."""
    return Path(os.environ.get("LAB_CACHE", Path.home() / ".cache" / "lab")) / "tiny-sd"


def resolve_device(name: str) -> torch.device:
    """--device auto|cpu|cuda as a torch device; auto picks CUDA when there is one."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LabError("--device cuda: no CUDA device is available here")
    return torch.device(name)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """--dtype as a torch dtype; auto is float16 on CUDA and float32 on the CPU."""
    if name == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    return DTYPES[name]


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


def assemble_pipeline(parts: dict[str, torch.nn.Module], max_length: int):
    """A StableDiffusionPipeline from four built networks (`components.build_sd14` or
    `build_tiny`), the byte tokenizer and v1.4's scheduler (PNDM without its Runge-Kutta steps,
    steps_offset 1 as v1.4 ships it)."""
    from diffusers import PNDMScheduler, StableDiffusionPipeline
    from transformers import CLIPImageProcessor

    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = write_byte_tokenizer(Path(tmp), max_length)
    pipe = StableDiffusionPipeline(
        vae=parts["vae"], text_encoder=parts["text_encoder"], tokenizer=tokenizer,
        unet=parts["unet"], scheduler=PNDMScheduler(skip_prk_steps=True, steps_offset=1),
        safety_checker=parts["safety_checker"], feature_extractor=CLIPImageProcessor(),
        requires_safety_checker=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_tiny_pipeline(folder: Path) -> Path:
    """Build the tiny pipeline and save it in diffusers' format (safetensors) under folder."""
    from lab.diffusion.components import TINY_MAX_LENGTH, build_tiny

    pipe = assemble_pipeline(build_tiny(seed=0), TINY_MAX_LENGTH)
    # Write aside, then rename: an interrupted build never leaves a half-written folder.
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    pipe.save_pretrained(staging, safe_serialization=True)
    if folder.exists():  # another process finished first
        shutil.rmtree(staging)
    else:
        staging.replace(folder)
    return folder


def quiet_libraries() -> None:
    """diffusers and transformers log and draw progress bars while loading: keep only errors."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    for logging in (diffusers_logging, transformers_logging):
        logging.set_verbosity_error()
        logging.disable_progress_bar()


def open_model(model: str | None, need_safety: bool = False) -> ModelFolder:
    """The checked model folder: --model PATH, or the embedded tiny pipeline (built on first use).
    Nothing is loaded yet; every file from_pretrained will read has been checked."""
    quiet_libraries()
    if model is None:
        path = cache_dir()
        if not (path / "model_index.json").is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            build_tiny_pipeline(path)
    else:
        path = Path(model)
    return check_model_folder(path, need_safety, tiny=model is None)


def load_network(cls: type, folder: Path, dtype: torch.dtype) -> torch.nn.Module:
    """One network from its folder, refusing weights that leave some of its tensors unset: the
    libraries only log that, and the tensors then hold whatever memory held."""
    try:
        model, info = cls.from_pretrained(folder, local_files_only=True, use_safetensors=True,
                                          dtype=dtype, output_loading_info=True)
    except Exception as e:  # noqa: BLE001 — a config value of the wrong type, weights of another
        # shape: what the file checks could not foresee is still the folder's fault, in one line.
        raise LabError(f"{printable(folder)}: {cls.__name__} cannot be loaded from its config.json "
                       f"and weights ({reason(e)})") from None
    missing = sorted(info.get("missing_keys") or [])
    if missing:
        raise LabError(f"{printable(folder)}: its .safetensors weights do not fit its config.json "
                       f"({len(missing)} tensors missing, such as {printable(missing[0])})")
    return model


def load(folder: ModelFolder, device: torch.device, dtype: torch.dtype):
    """The pipeline in a checked folder, on device in dtype. The networks are loaded one by one
    (to check their weights cover them), then handed to the pipeline with the other parts."""
    from diffusers import StableDiffusionPipeline

    networks = {name: load_network(cls, folder.path / name, dtype)
                for name, cls in folder.components.items() if issubclass(cls, torch.nn.Module)}
    try:
        pipe = StableDiffusionPipeline.from_pretrained(folder.path, local_files_only=True,
                                                       use_safetensors=True, dtype=dtype, **networks)
    except Exception as e:  # noqa: BLE001 — the tokenizer, scheduler or image processor: one line
        raise LabError(f"--model {printable(folder.path)}: diffusers cannot load it "
                       f"({reason(e)})") from None
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def load_pipeline(model: str | None, device: torch.device, dtype: torch.dtype,
                  need_safety: bool = False):
    """(pipeline, is_tiny): the user's model folder, or the embedded tiny pipeline."""
    folder = open_model(model, need_safety)
    return load(folder, device, dtype), folder.tiny
