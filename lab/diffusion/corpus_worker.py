"""What the Ray workers of `lab sd safety --engine ray` run on each batch: read and preprocess the
images (exactly the course's Resize(224), CenterCrop(224), ToTensor, CLIP Normalize), and score
them with the safety checker, loaded once per worker. Nothing here imports Ray: these are plain
functions and a plain class that Ray Data calls through `map_batches`.

A batch is a dict of numpy columns (Ray Data's "numpy" batch format), one row per listed file:
`index` (its place in the listing) and `path` (its bytes, so that names that are not UTF-8
travel through Arrow unchanged); decoding adds `pixels` and `reason` ('' when the image decoded),
checking adds `flagged` and the scores. A file that fails is a row with its reason, never an
exception: one bad file must not fail the batch, let alone the worker."""

from __future__ import annotations

import os

import numpy as np
import torch
from torchvision import transforms

from lab.diffusion.imagefiles import CROP, Unreadable, load_rgb
from lab.diffusion.safety import CLIP_MEAN, CLIP_STD

# The course's transform (lab.diffusion.safety.CLIP_TRANSFORM) split where its output is still
# uint8: 224×224×3 bytes travel four times lighter than the float tensor when decoding runs apart
# from the checker, and ToTensor + Normalize then give the same floats.
RESIZE_CROP = transforms.Compose([transforms.Resize(CROP), transforms.CenterCrop(CROP)])
NORMALIZE = transforms.Normalize(CLIP_MEAN, CLIP_STD)


def prepare(path: str) -> np.ndarray:
    """The image at path decoded, resized and centre-cropped: a 224×224×3 uint8 array. Raises
    Unreadable with the reason for anything that is not a decodable image of a bounded size."""
    return np.asarray(RESIZE_CROP(load_rgb(path)), dtype=np.uint8)


def decode_batch(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The batch with `pixels` (zeros for a file that failed) and `reason` columns added."""
    n = len(batch["index"])
    pixels = np.zeros((n, CROP, CROP, 3), dtype=np.uint8)
    reasons = np.full(n, "", dtype=object)
    for i, raw in enumerate(batch["path"]):
        try:
            pixels[i] = prepare(os.fsdecode(bytes(raw)))
        except Unreadable as e:
            reasons[i] = str(e) or "unreadable"
        except Exception as e:  # noqa: BLE001 — whatever one file does, it is that file's reason
            reasons[i] = f"cannot prepare it ({type(e).__name__}: {e})"
    return {"index": batch["index"], "path": batch["path"], "pixels": pixels, "reason": reasons}


def clip_input(pixels: np.ndarray) -> torch.Tensor:
    """N×224×224×3 uint8 images as the checker's input: ToTensor then CLIP Normalize, N×3×224×224."""
    pixels = np.require(pixels, requirements="W")  # Ray hands read-only views; torch wants to own
    return NORMALIZE(torch.stack([transforms.functional.to_tensor(p) for p in pixels]))


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of each row of a with each row of b (the checker's cosine_distance)."""
    norm = torch.nn.functional.normalize
    return norm(a) @ norm(b).T


def forward_flags(special_cos: np.ndarray, concept_cos: np.ndarray, special_thresholds: list[float],
                  concept_thresholds: list[float]) -> list[bool]:
    """Whether StableDiffusionSafetyChecker.forward flags each image, from its float32 cosine
    similarities. The loop is the forward's own: each score is rounded to 3 decimals before it is
    compared with 0, and once a 'special care' score fires, 0.01 is added to the special scores
    after it and to every concept score. Computing the flag here instead of calling forward saves
    running the vision tower twice per batch."""
    flags = []
    for s_row, c_row in zip(special_cos, concept_cos, strict=True):
        adjustment = 0.0
        for cos, threshold in zip(s_row, special_thresholds, strict=True):
            if round(cos - threshold + adjustment, 3) > 0:
                adjustment = 0.01
        flags.append(any(round(cos - threshold + adjustment, 3) > 0
                         for cos, threshold in zip(c_row, concept_thresholds, strict=True)))
    return flags


@torch.no_grad()
def score(checker, clip_input: torch.Tensor) -> tuple[list[bool], np.ndarray, np.ndarray]:
    """(flags, concept scores, special scores) of a batch, from one pass of the vision tower: the
    scores as `lab.diffusion.safety.concept_scores` gives them (cosine minus threshold, plus 0.01
    once a special concept fires), the flags as the checker's forward decides them."""
    embeds = checker.visual_projection(checker.vision_model(clip_input)[1])
    special_cos = cosine(embeds, checker.special_care_embeds)
    concept_cos = cosine(embeds, checker.concept_embeds)
    special = special_cos - checker.special_care_embeds_weights
    adjustment = (special > 0).any(dim=1, keepdim=True).to(special.dtype) * 0.01
    concepts = concept_cos - checker.concept_embeds_weights + adjustment
    flags = forward_flags(special_cos.cpu().float().numpy(), concept_cos.cpu().float().numpy(),
                          checker.special_care_embeds_weights.tolist(),
                          checker.concept_embeds_weights.tolist())
    return flags, concepts.float().cpu().numpy(), special.float().cpu().numpy()


class CheckerWorker:
    """One Ray actor's safety checker: loaded once when the actor starts, then called on batch
    after batch. `model`: the model folder (checked by the driver already), or None for the
    embedded tiny pipeline, built on this node when it is not there. decode=True: this worker also
    reads and preprocesses its files (no separate decode stage); else the batches arrive with
    `pixels` already."""

    def __init__(self, checker_class: type, model: str | None, dtype: str, device: str, decode: bool,
                 threads: int):
        from pathlib import Path

        from lab.diffusion.pipeline import DTYPES, load_network, open_model, quiet_libraries

        # Each worker gets its share of the cores; torch would otherwise start one thread per core
        # in every worker and they would fight over them.
        torch.set_num_threads(max(1, threads))
        quiet_libraries()
        folder = Path(model) if model is not None else open_model(None, need_safety=True).path
        self.device = torch.device(device)
        self.dtype = DTYPES[dtype]
        self.checker = load_network(checker_class, folder / "safety_checker", self.dtype).to(self.device)
        self.checker.eval()
        self.decode = decode

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The batch with `flagged`, `concept_scores` and `special_scores` (NaN and False for a
        file that failed) in place of `pixels`."""
        if self.decode:
            batch = decode_batch(batch)
        reasons = batch["reason"]
        good = np.flatnonzero(reasons == "")
        n = len(reasons)
        concepts = np.full((n, self.checker.concept_embeds.shape[0]), np.nan, dtype=np.float32)
        special = np.full((n, self.checker.special_care_embeds.shape[0]), np.nan, dtype=np.float32)
        flagged = np.zeros(n, dtype=bool)
        if len(good):
            images = clip_input(batch["pixels"][good]).to(self.device, self.dtype)
            flags, concepts[good], special[good] = score(self.checker, images)
            flagged[good] = flags
        return {"index": batch["index"], "path": batch["path"], "reason": reasons,
                "flagged": flagged, "concept_scores": concepts, "special_scores": special}
