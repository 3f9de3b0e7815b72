"""The safety checker over a folder of images, as homework exercise 1.4 runs it: every image under
the folder, resized and centre-cropped to 224, CLIP normalization, in batches of 10.

The course used torchvision's ImageFolder; it only sees images inside class subfolders, follows
symlinks without end and opens named pipes, so the files come from `imagefiles.walk` instead."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torchvision import transforms

from lab.diffusion.imagefiles import CROP, Unreadable, load_rgb, walk
from lab.errors import LabError
from lab.output.terminal import printable

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
SHOW = transforms.Compose([transforms.Resize(CROP), transforms.CenterCrop(CROP),
                           transforms.ToTensor()])
CLIP_TRANSFORM = transforms.Compose([SHOW, transforms.Normalize(CLIP_MEAN, CLIP_STD)])
# Images per batch at most: the course used 10, a GPU is busy well before 256, and beyond that a
# batch only costs memory (a 224×224 CLIP input is 0.6 MB, its activations many times that).
MAX_BATCH_SIZE = 256


def check_batch_size(size: int) -> None:
    """Refuse a --batch-size below 1 or above MAX_BATCH_SIZE, in one line."""
    if size < 1:
        raise LabError(f"--batch-size {size}: must be at least 1")
    if size > MAX_BATCH_SIZE:
        raise LabError(f"--batch-size {size}: at most {MAX_BATCH_SIZE} (a larger batch is no "
                       "faster, it only takes more memory)")


class ImageFiles(torch.utils.data.Dataset):
    """The listed image files; item i is its CLIP input tensor (3 × 224 × 224). Raises Unreadable
    for a file that does not decode (a truncated JPEG passes the header check)."""

    def __init__(self, paths: list[str], transform=CLIP_TRANSFORM):
        self.paths, self.transform = paths, transform

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.transform(load_rgb(self.paths[i]))


@dataclass
class Verdict:
    """One checked image: its index among the checked ones, its path and the checker's scores."""

    index: int
    path: str
    flagged: bool
    concept_scores: list[float]  # > 0 means over that concept's threshold
    special_scores: list[float]


@dataclass
class SafetyRun:
    """The verdicts, and (path, why) for every entry under the folder that was not checked."""

    verdicts: list[Verdict] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def flagged(self) -> list[int]:
        """Indices of the flagged images."""
        return [v.index for v in self.verdicts if v.flagged]


def open_folder(folder: Path, follow_links: bool = False) -> tuple[ImageFiles, list[tuple[str, str]]]:
    """The dataset of files whose header is a readable image of a bounded size, and (path,
    reason) for every other entry under folder (links out of it among them, unless
    `follow_links`)."""
    if not folder.is_dir():
        raise LabError(f"{printable(folder)}: " + ("not a folder" if folder.exists()
                                                   else "no such folder"))
    listing = walk(folder, follow_links)
    candidates = []
    for path in listing.files:
        try:
            load_rgb(path, decode=False)
            candidates.append(path)
        except Unreadable as e:
            listing.skipped.append((path, str(e)))
    if not candidates:
        raise LabError(f"{printable(folder)}: no readable images" + (
            f" ({len(listing.skipped)} entries skipped)" if listing.skipped else ""))
    return ImageFiles(candidates), listing.skipped


def _batches(dataset: ImageFiles, size: int, skipped: list[tuple[str, str]]
             ) -> Iterator[tuple[list[str], torch.Tensor]]:
    """(paths, stacked tensors) of up to `size` images that decode; the others go to skipped."""
    paths, tensors = [], []
    for i, path in enumerate(dataset.paths):
        try:
            tensors.append(dataset[i])
            paths.append(path)
        except Unreadable as e:
            skipped.append((path, str(e)))
        if len(tensors) == size:
            yield paths, torch.stack(tensors)
            paths, tensors = [], []
    if tensors:
        yield paths, torch.stack(tensors)


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
        advance: Callable[[int], None] = lambda n: None,
        opened: tuple[ImageFiles, list[tuple[str, str]]] | None = None) -> SafetyRun:
    """Every readable image's verdict; the checker's own forward decides `flagged`. `advance(n)`
    after each batch: n more of the dataset's files done, checked or skipped. `opened`: what
    open_folder(folder) returned already, so that the folder is not walked twice."""
    dataset, skipped = opened or open_folder(folder)
    device = device or next(checker.parameters()).device
    dtype = next(checker.parameters()).dtype
    result = SafetyRun(skipped=skipped)
    listed, reported = len(skipped), 0

    def report_progress() -> None:
        nonlocal reported
        done = len(result.verdicts) + len(result.skipped) - listed
        advance(done - reported)
        reported = done

    for paths, images in _batches(dataset, batch_size, result.skipped):
        clip_input = images.to(device, dtype)
        # The checker's first argument is a list of images it blacks out when flagged; we keep ours.
        _, flags = checker(images=[im.numpy() for im in images], clip_input=clip_input)
        scores, special = concept_scores(checker, clip_input)
        for j, flagged in enumerate(flags):
            result.verdicts.append(Verdict(len(result.verdicts), paths[j], bool(flagged),
                                           scores[j].float().tolist(), special[j].float().tolist()))
        report_progress()
    report_progress()
    return result


def flagged_grid(run_result: SafetyRun) -> torch.Tensor | None:
    """The flagged images (at 224×224) as one grid tensor, or None when nothing was flagged or
    none of them still decodes."""
    from torchvision.utils import make_grid

    tiles = []
    for v in run_result.verdicts:
        if v.flagged:
            try:
                tiles.append(SHOW(load_rgb(v.path)))
            except Unreadable:  # changed on disk since it was checked
                continue
    return make_grid(tiles, nrow=min(5, len(tiles))) if tiles else None
