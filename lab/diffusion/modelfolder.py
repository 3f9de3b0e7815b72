"""Checking a diffusers-format model folder before diffusers reads it, so that a broken folder is
reported in one line naming the file and what is wrong with it, instead of a long traceback.

Checked: model_index.json names only classes of diffusers and transformers (never custom code
from the folder), every component it lists has its folder, every JSON file parses, every
.safetensors header is whole, and the values that size the work are within bounds (the
scheduler's training timesteps, the UNet's sample size and the image side they make): a config
file is a few bytes that could otherwise ask for hours of work or gigabytes before the first
step. Nothing is unpickled and no weights are read here. The parsed configs also give what
`lab sd sample`'s options are validated against before the model loads."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError
from lab.output.terminal import printable

REQUIRED = ("vae", "text_encoder", "tokenizer", "unet", "scheduler")
# What each of the pipeline's components must be (module, base class), so that a folder cannot,
# say, build a default-sized UNet from scheduler_config.json.
KINDS = {
    "vae": ("diffusers", "ModelMixin"), "unet": ("diffusers", "ModelMixin"),
    "text_encoder": ("transformers", "PreTrainedModel"),
    "safety_checker": ("transformers", "PreTrainedModel"),
    "tokenizer": ("transformers", "PreTrainedTokenizerBase"),
    "scheduler": ("diffusers", "SchedulerMixin"),
    "feature_extractor": ("transformers", "ImageProcessingMixin"),
}
# Config files are kilobytes (a tokenizer.json a few megabytes): anything far larger is not one.
MAX_JSON_BYTES = 64 * 2**20
# Bounds on what a config may ask for, each well above every Stable Diffusion release's value:
# training timesteps (v1.4: 1000; the scheduler tabulates each, and --steps goes up to it), the
# UNet's sample size in latent cells (v1.4: 64, SDXL: 128; it sets the default image side), and an
# image side in pixels (4 × v1.4's 512).
MAX_TRAIN_TIMESTEPS = 10_000
MAX_SAMPLE_SIZE = 128
MAX_IMAGE_SIDE = 2048
# Resolution levels of a network (v1.4: 4); each halves the side, so the count is an exponent.
MAX_LEVELS = 8


def _name(file: Path) -> str:
    return printable(file)


def reason(e: BaseException) -> str:
    """An exception as one short printable line: its type and the first line of its message."""
    first = (str(e).strip().splitlines() or [""])[0]
    return printable(f"{type(e).__name__}: {first[:300]}" if first else type(e).__name__)


def read_json(file: Path) -> dict:
    """The JSON object in file, or a LabError naming the file and what is wrong with it."""
    if not file.is_file():  # also refuses a named pipe, which would block the read
        raise LabError(f"{_name(file)}: " + ("not a regular file" if file.exists() else "missing"))
    try:
        size = file.stat().st_size
        if size > MAX_JSON_BYTES:
            raise LabError(f"{_name(file)}: {size:,} bytes, too large for a config file")
        data = json.loads(file.read_bytes())
    except OSError as e:
        raise LabError(f"{_name(file)}: cannot read it ({e.strerror})") from None
    except (ValueError, RecursionError) as e:  # bad UTF-8, bad JSON, absurd nesting
        raise LabError(f"{_name(file)}: not valid JSON ({reason(e)})") from None
    if not isinstance(data, dict):
        raise LabError(f"{_name(file)}: expected a JSON object, found {type(data).__name__}")
    return data


def _remap(library: str, name: str) -> str:
    """diffusers' own renaming of transformers classes that were removed (SD v1.4's index still
    names CLIPFeatureExtractor, now CLIPImageProcessor); the name unchanged without it."""
    try:
        from diffusers.pipelines.pipeline_loading_utils import _maybe_remap_transformers_class
    except ImportError:
        return name
    return (_maybe_remap_transformers_class(name) or name) if library == "transformers" else name


def library_class(entry: object) -> type:
    """The class a model_index.json entry [library, class] names, when the library is diffusers,
    transformers or one of diffusers' pipeline modules (SD v1.4's safety checker is listed under
    "stable_diffusion"). Anything else, such as a .py file shipped in the folder, is refused: a
    LabError message without the file name, which the caller adds."""
    import diffusers
    import transformers

    if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)):
        raise LabError("is not a [library, class] pair")
    library, name = entry
    modules = {"diffusers": diffusers, "transformers": transformers}
    known = library in modules or (library.isidentifier() and library[0] != "_"
                                   and hasattr(diffusers.pipelines, library))
    if not known:
        raise LabError("names custom code: only classes of diffusers and transformers are loaded")
    module = modules.get(library) or getattr(diffusers.pipelines, library)
    try:
        found = getattr(module, _remap(library, name)) if name.isidentifier() else None
    except Exception:  # noqa: BLE001 — lazy modules raise AttributeError, ImportError, RuntimeError
        found = None
    if not isinstance(found, type) or name[0] == "_":
        raise LabError(f"names no class of {library} installed here")
    return found


def _is_kind(cls: type, component: str) -> bool:
    if component not in KINDS:
        return True
    module, base = KINDS[component]
    return issubclass(cls, getattr(importlib.import_module(module), base))


def listed_components(path: Path, need_safety: bool) -> dict[str, type]:
    """{component: class} for every component model_index.json lists (diffusers loads them all)."""
    file = path / "model_index.json"
    index = read_json(file)
    if not isinstance(index.get("_class_name", ""), str):  # a [module, class] pair is custom code
        raise LabError(f"{_name(file)}: _class_name names custom pipeline code "
                       f"({printable(index['_class_name'])}); it is not run")
    listed = {}
    for name, entry in index.items():
        if name.startswith("_") or not isinstance(entry, list) or entry == [None, None]:
            continue  # metadata, flags such as requires_safety_checker, absent optional parts
        try:
            cls = library_class(entry)
        except LabError as e:
            raise LabError(f"{_name(file)}: component {printable(name)!r}, "
                           f"{printable(json.dumps(entry))}, {e}") from None
        if not _is_kind(cls, name):
            raise LabError(f"{_name(file)}: component {printable(name)!r} is {cls.__name__}, not "
                           f"a {KINDS[name][1]}")
        listed[name] = cls
    needed = REQUIRED + (("safety_checker",) if need_safety else ())
    absent = [c for c in needed if c not in listed]
    if absent:
        raise LabError(f"{_name(file)}: lists no {', '.join(absent)}")
    return listed


def check_safetensors(file: Path) -> None:
    """Refuse a .safetensors file whose header is not whole (an empty or truncated file, garbage);
    safe_open reads the header only."""
    from safetensors import safe_open

    if not file.is_file():
        raise LabError(f"{_name(file)}: not a regular file")
    try:
        with safe_open(str(file), framework="pt") as f:
            f.keys()
    except Exception as e:  # noqa: BLE001 — SafetensorError, OSError: either way the file is bad
        raise LabError(f"{_name(file)}: not a valid .safetensors file ({reason(e)})") from None


def check_component(folder: Path, cls: type) -> None:
    """Every JSON file in a component's folder parses; a network has whole .safetensors weights."""
    import torch

    for file in sorted(folder.glob("*.json")):
        read_json(file)
    if issubclass(cls, torch.nn.Module):
        if not (folder / "config.json").exists():
            raise LabError(f"{_name(folder / 'config.json')}: missing")
        weights = sorted(folder.glob("*.safetensors"))
        if not weights:
            raise LabError(f"{_name(folder)}: no .safetensors weights (pickled .bin files are "
                           "not loaded)")
        for file in weights:
            check_safetensors(file)


@dataclass
class ModelFolder:
    """A checked model folder, with the configs the sampling options are validated against."""

    path: Path
    tiny: bool
    components: dict[str, type]  # what model_index.json lists, by name
    vae_config: dict
    unet_config: dict
    scheduler_config: dict

    @property
    def scheduler_class(self) -> type:
        """The scheduler's class, as model_index.json names it."""
        return self.components["scheduler"]

    def size_multiple(self) -> int:
        """What --size must be a multiple of for this model."""
        from lab.diffusion.components import size_multiple

        return size_multiple(self.vae_config, self.unet_config)

    def native_size(self) -> int:
        """The image side the model was built for (the default --size)."""
        from lab.diffusion.components import native_size

        return native_size(self.vae_config, self.unet_config)

    def check_steps(self, steps: int) -> None:
        """Refuse a step count this model's scheduler cannot take, saying how many it can."""
        scheduler = build_scheduler(self.scheduler_class, self.scheduler_config, self.path)
        if not usable_steps(scheduler, steps):
            most = max_steps(scheduler)
            raise LabError(f"--steps {steps}: this model's {self.scheduler_class.__name__} cannot "
                           f"take that many (it was trained on "
                           f"{scheduler.config.num_train_timesteps} timesteps)"
                           + (f"; it takes 1 to {most}" if most else ""))


def usable_steps(scheduler, steps: int) -> bool:
    """Whether a `steps`-step schedule fits the training schedule: no more steps than training
    timesteps (beyond that "leading" spacing repeats one timestep), and every timestep a valid
    index. PNDM's "leading" spacing adds steps_offset, so v1.4's (1000 timesteps, offset 1) takes
    at most 999 steps: at 1000 its last timestep is 1000 and the step fails with an IndexError."""
    if not 1 <= steps <= scheduler.config.num_train_timesteps:
        return False
    try:
        scheduler.set_timesteps(steps)
    except Exception:  # noqa: BLE001 — the scheduler refuses this count in its own way
        return False
    t = scheduler.timesteps
    return bool(len(t)) and float(t.min()) >= 0 and float(t.max()) < scheduler.config.num_train_timesteps


def max_steps(scheduler, tries: int = 1000) -> int | None:
    """The largest usable step count, searched down from num_train_timesteps (v1.4's comes on the
    second try); None when none of the first `tries` counts is usable."""
    total = scheduler.config.num_train_timesteps
    return next((n for n in range(total, max(0, total - tries), -1) if usable_steps(scheduler, n)),
                None)


def build_scheduler(cls: type, config: dict, path: Path):
    """The model's scheduler built from its config alone (no weights involved), once its size is
    known to be bounded (it allocates tables of num_train_timesteps entries)."""
    file = _name(path / "scheduler" / "scheduler_config.json")
    total, betas = config.get("num_train_timesteps", 1), config.get("trained_betas")
    if not (isinstance(total, int) and not isinstance(total, bool)
            and 1 <= total <= MAX_TRAIN_TIMESTEPS):
        raise LabError(f"{file}: not a usable {cls.__name__} config (num_train_timesteps "
                       f"{printable(json.dumps(total))[:40]}: must be an integer from 1 to "
                       f"{MAX_TRAIN_TIMESTEPS:,})")
    if isinstance(betas, list) and len(betas) > MAX_TRAIN_TIMESTEPS:
        raise LabError(f"{file}: not a usable {cls.__name__} config (trained_betas has "
                       f"{len(betas):,} entries, more than {MAX_TRAIN_TIMESTEPS:,})")
    try:
        scheduler = cls.from_config(config)
        total = scheduler.config.num_train_timesteps
    except Exception as e:  # noqa: BLE001 — any bad value in the config
        raise LabError(f"{file}: not a usable {cls.__name__} config ({reason(e)})") from None
    if not isinstance(total, int) or isinstance(total, bool) or total < 1:
        raise LabError(f"{file}: num_train_timesteps must be a positive integer")
    return scheduler


def _shape_config(file: Path, with_sample_size: bool) -> dict:
    """A network's config.json, checked for the fields the image size is computed from."""
    config = read_json(file)
    channels = config.get("block_out_channels")
    if not (isinstance(channels, list) and 0 < len(channels) <= MAX_LEVELS
            and all(isinstance(c, int) for c in channels)):
        raise LabError(f"{_name(file)}: block_out_channels must be a list of 1 to {MAX_LEVELS} "
                       "integers")
    if with_sample_size:
        size = config.get("sample_size")
        sizes = size if isinstance(size, list) else [size]
        if not (sizes and all(isinstance(s, int) and not isinstance(s, bool)
                              and 0 < s <= MAX_SAMPLE_SIZE for s in sizes)):
            raise LabError(f"{_name(file)}: sample_size must be a positive integer up to "
                           f"{MAX_SAMPLE_SIZE} (latent cells; SD v1.4's is 64)")
    return config


def _check_native_size(path: Path, vae_config: dict, unet_config: dict) -> None:
    """Refuse configs whose own image side (the default --size) is beyond MAX_IMAGE_SIDE."""
    from lab.diffusion.components import native_size, vae_scale_factor

    side = native_size(vae_config, unet_config)
    if side > MAX_IMAGE_SIDE:
        raise LabError(f"{_name(path / 'unet' / 'config.json')}: its sample_size × the VAE's factor "
                       f"{vae_scale_factor(vae_config)} is a {side}-pixel image, more than "
                       f"{MAX_IMAGE_SIDE}")


def check_model_folder(path: Path, need_safety: bool = False, tiny: bool = False) -> ModelFolder:
    """Check everything from_pretrained will read in path; a LabError names the first problem."""
    if not path.is_dir():
        raise LabError(f"--model {_name(path)}: no such folder")
    if not (path / "model_index.json").exists():
        raise LabError(f"--model {_name(path)}: model_index.json is missing (not a diffusers-format "
                       "folder)")
    listed = listed_components(path, need_safety)
    missing = [c for c in listed if not (path / c).is_dir()]
    if missing:
        raise LabError(f"--model {_name(path)}: missing {', '.join(missing)}")
    for name, cls in listed.items():
        check_component(path / name, cls)
    scheduler_config = read_json(path / "scheduler" / "scheduler_config.json")
    build_scheduler(listed["scheduler"], scheduler_config, path)
    vae_config = _shape_config(path / "vae" / "config.json", False)
    unet_config = _shape_config(path / "unet" / "config.json", True)
    _check_native_size(path, vae_config, unet_config)
    return ModelFolder(path, tiny, listed, vae_config, unet_config, scheduler_config)
