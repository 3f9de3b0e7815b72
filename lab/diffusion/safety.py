"""The safety checker over a folder of images, as homework exercise 1.4 runs it: ImageFolder,
resize and centre-crop to 224, CLIP normalization, a DataLoader in batches of 10."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image
from torchvision import transforms
from torchvision.datasets import ImageFolder

from lab.console import LabError

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
CLIP_TRANSFORM = transforms.Compose([
    transforms.Resize(224), transforms.CenterCrop(224), transforms.ToTensor(),
    transforms.Normalize(CLIP_MEAN, CLIP_STD),
])


class Folder(ImageFolder):
    """ImageFolder that also accepts a flat folder of images (one unnamed class)."""

    def find_classes(self, directory):
        classes, mapping = super().find_classes(directory) if _subfolders(directory) else ([], {})
        return (classes, mapping) if classes else ([""], {"": 0})


def _subfolders(directory) -> bool:
    return any(e.is_dir() and not e.name.startswith(".") for e in os.scandir(directory))


@dataclass
class Verdict:
    index: int
    path: str
    flagged: bool
    concept_scores: list[float]  # > 0 means over that concept's threshold
    special_scores: list[float]


@dataclass
class SafetyRun:
    verdicts: list[Verdict] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    @property
    def flagged(self) -> list[int]:
        return [v.index for v in self.verdicts if v.flagged]


def open_folder(folder: Path) -> tuple[Folder, list[tuple[str, str]]]:
    """The dataset of readable images, and (path, reason) for every file that is not one."""
    if not folder.is_dir():
        raise LabError(f"{folder}: no such folder")
    skipped: list[tuple[str, str]] = []

    def readable(path: str) -> bool:
        try:
            with Image.open(path) as im:
                im.verify()
            return True
        except Exception as e:  # noqa: BLE001 — any unreadable file is reported, not fatal
            skipped.append((path, f"not a readable image ({type(e).__name__})"))
            return False

    try:
        dataset = Folder(str(folder), transform=CLIP_TRANSFORM, is_valid_file=readable,
                         allow_empty=True)
    except (FileNotFoundError, OSError) as e:
        raise LabError(f"{folder}: {e}") from None
    if len(dataset) == 0:
        raise LabError(f"{folder}: no readable images" + (f" ({len(skipped)} unreadable files)"
                                                          if skipped else ""))
    return dataset, skipped


def concept_scores(checker, clip_input: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(concept, special) scores as StableDiffusionSafetyChecker computes them: cosine similarity
    to each concept embedding minus its threshold (plus 0.01 for every concept once any 'special
    care' concept fires). An image is flagged when any concept score is > 0."""
    pooled = checker.vision_model(clip_input)[1]
    embeds = checker.visual_projection(pooled)
    norm = torch.nn.functional.normalize
    special = norm(embeds) @ norm(checker.special_care_embeds).T - checker.special_care_embeds_weights
    adjustment = (special > 0).any(dim=1, keepdim=True).to(special.dtype) * 0.01
    concepts = norm(embeds) @ norm(checker.concept_embeds).T - checker.concept_embeds_weights
    return concepts + adjustment, special


@torch.no_grad()
def run(checker, folder: Path, batch_size: int = 10, device: torch.device | None = None,
        advance: Callable[[int], None] = lambda n: None) -> SafetyRun:
    """Every readable image's verdict; the checker's own forward decides `flagged`."""
    dataset, skipped = open_folder(folder)
    device = device or next(checker.parameters()).device
    dtype = next(checker.parameters()).dtype
    result = SafetyRun(skipped=skipped)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size)
    for b, (images, _) in enumerate(loader):
        clip_input = images.to(device, dtype)
        # The checker's first argument is a list of images it blacks out when flagged; we keep ours.
        _, flags = checker(images=[im.numpy() for im in images], clip_input=clip_input)
        scores, special = concept_scores(checker, clip_input)
        for j, flagged in enumerate(flags):
            index = b * batch_size + j
            result.verdicts.append(Verdict(index, dataset.samples[index][0], bool(flagged),
                                           scores[j].float().tolist(), special[j].float().tolist()))
        advance(len(images))
    return result


def flagged_grid(run_result: SafetyRun, out: Path) -> Path | None:
    """A PNG grid of the flagged images (at 224×224), or None when nothing was flagged."""
    from torchvision.utils import make_grid, save_image

    paths = [v.path for v in run_result.verdicts if v.flagged]
    if not paths:
        return None
    show = transforms.Compose([transforms.Resize(224), transforms.CenterCrop(224),
                               transforms.ToTensor()])
    tiles = [show(Image.open(p).convert("RGB")) for p in paths]
    out.mkdir(parents=True, exist_ok=True)
    save_image(make_grid(tiles, nrow=min(5, len(tiles))), out / "flagged.png")
    return out / "flagged.png"
