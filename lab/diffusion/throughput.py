"""Throughput of the safety checker over a generated folder of small images: the plain engine (one
process, `lab.diffusion.safety.run`) and the Ray Data engine (`lab.diffusion.corpus.run`) at 1 and
2 workers, with the embedded tiny checker on this machine's CPUs; and the numbers a plan for N
GPUs rests on, measured or computed in the same run (`lab.report.bench_safety` turns them into the
plan, the page and the figure). The timer is passed in (`lab.bench.harness.measure`, which lives
above this package).

Each run is timed through its progress callback: images/s over the whole run is what a user waits
for; from its first results to its last is the steady rate, without the fixed costs (Ray creating
its actors, each loading the model)."""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from lab.output.provenance import machine, versions

MIN_IMAGES = 50  # a steady rate needs a few batches after the first
QUICK_IMAGES, FULL_IMAGES = 1000, 3000
BATCH = 10  # the course's batch size
PART_SIZE = 500


def make_folder(folder: Path, count: int, seed: int = 0) -> None:
    """count small images (48–96 px a side; smooth gradients plus noise; PNG and JPEG), seeded."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        h, w = rng.integers(48, 97, size=2)
        ramp = np.linspace(0, 1, w)[None, :, None] * rng.uniform(0, 255, 3)
        pixels = np.clip(ramp + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:05d}.{'jpg' if i % 2 else 'png'}")


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


class Clock:
    """The progress callback of a run, timed: when each batch of results came in."""

    def __init__(self):
        self.start, self.marks = time.perf_counter(), []

    def __call__(self, n: int) -> None:
        if n:
            self.marks.append((time.perf_counter(), n))

    def rates(self, count: int) -> dict:
        """images/s over the whole run, and steady: from the first results to the last, which
        leaves out the fixed costs (for Ray: creating the actors, each importing torch and
        loading the model)."""
        (first_t, first_n), last_t = self.marks[0], self.marks[-1][0]
        total = sum(n for _, n in self.marks)
        assert total == count, "every generated image is accounted for"
        return {"images": count, "run_s": last_t - self.start, "images_per_s": count / (last_t - self.start),
                "first_results_s": first_t - self.start,
                "steady_images_per_s": (count - first_n) / max(last_t - first_t, 1e-9)}


def time_plain(full: Path, count: int, threads: int) -> dict:
    """The plain engine over the folder with `threads` torch threads (the checker loaded once,
    before the clock starts)."""
    from lab.diffusion.pipeline import load_network, open_model
    from lab.diffusion.safety import run

    folder = open_model(None, need_safety=True)
    checker = load_network(folder.components["safety_checker"], folder.path / "safety_checker",
                           torch.float32)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        clock = Clock()
        run(checker, full, BATCH, advance=clock)
    finally:
        torch.set_num_threads(before)
    return clock.rates(count) | {"torch_threads": threads}


def time_ray(full: Path, count: int, workers: int, scratch: Path) -> dict:
    """The Ray engine at `workers` actors over the folder, into a fresh output."""
    from lab.diffusion.corpus import Settings, run
    from lab.diffusion.parts import PartStore
    from lab.diffusion.pipeline import open_model
    from lab.diffusion.sources import list_source

    model = open_model(None, need_safety=True)
    store = PartStore.open(scratch / f"ray-{workers}")
    clock = Clock()
    outcome = run(list_source(full), str(full), store, model,
                  Settings(workers=workers, batch_size=BATCH, part_size=PART_SIZE), advance=clock)
    assert outcome.accounting.complete and outcome.accounting.checked == count
    return clock.rates(count) | {"workers": workers}


def plan_inputs(full: Path, session, scratch: Path, measure: Callable) -> dict:
    """What the plan for N GPUs rests on, each measured here or computed from the v1.4 config."""
    from lab.diffusion.components import SD14_SAFETY_VISION, safety_checker
    from lab.diffusion.corpus_worker import RESIZE_CROP, clip_input, score
    from lab.diffusion.imagefiles import CROP, load_rgb, walk
    from lab.diffusion.parts import Part, PartStore
    from lab.diffusion.pipeline import load_network, open_model

    small_files = sorted(str(p) for p in full.iterdir())[:200]
    big = _jpeg_512(scratch / "512.jpg")
    prepare_one = lambda image: clip_input(np.asarray(RESIZE_CROP(image))[None])  # noqa: E731
    decoded_small, decoded_big = load_rgb(small_files[0]), load_rgb(big)
    inputs = {
        "decode_small_s": float(np.median([_timed(lambda p=p: load_rgb(p))[0] for p in small_files])),
        "decode_512_jpeg_s": measure("decode", 1, load_rgb, big, memory=False).median_s,
        "preprocess_small_s": measure("prep", 1, prepare_one, decoded_small, memory=False).median_s,
        "preprocess_512_s": measure("prep", 1, prepare_one, decoded_big, memory=False).median_s,
        "listing_s_per_entry": _timed(lambda: walk(full))[0] / len(list(full.iterdir())),
        "bytes_per_image_uint8": CROP * CROP * 3,
        "bytes_per_image_fp16": CROP * CROP * 3 * 2,
    }
    tiny = open_model(None, need_safety=True)
    checker = load_network(tiny.components["safety_checker"], tiny.path / "safety_checker",
                           torch.float32)
    clip = torch.randn(BATCH, 3, CROP, CROP, generator=torch.Generator().manual_seed(0))
    inputs["tiny_model_batch_s"] = measure("tiny", BATCH, score, checker, clip, memory=False).median_s
    # v1.4's checker: its FLOPs on the meta device (no weights), then one image on this CPU.
    with torch.device("meta"):
        meta = safety_checker(SD14_SAFETY_VISION)
    inputs["v14_flops_per_image"] = _flops(meta, torch.empty(1, 3, CROP, CROP, device="meta"))
    torch.manual_seed(0)
    v14 = safety_checker(SD14_SAFETY_VISION).eval()
    one = torch.randn(1, 3, CROP, CROP, generator=torch.Generator().manual_seed(1))
    inputs["v14_cpu_image_s"] = measure("v1.4", 1, score, v14, one, min_repeats=2, min_time=0.0,
                                        memory=False).median_s
    del v14
    # The driver's share per row: turning a worker's rows into a Parquet part and writing it.
    rows = {i: {"reason": None, "flagged": False, "concept_scores": [0.5] * 17,
                "special_scores": [0.5] * 3} for i in range(PART_SIZE)}
    part = Part(0, 0, [f"/corpus/{i:08d}.jpg" for i in range(PART_SIZE)], "0" * 16)
    with tempfile.TemporaryDirectory() as tmp:
        store = PartStore(Path(tmp))
        store.prepare()
        inputs["driver_part_write_s"] = measure("write", PART_SIZE, store.write, part, rows,
                                                memory=False).median_s
    inputs["part_rows"] = PART_SIZE
    # Same-node transfer through Ray's object store: one batch of 224² uint8 images, put and got.
    batch = np.zeros((BATCH, CROP, CROP, 3), dtype=np.uint8)
    inputs["object_store_batch_s"] = measure("put+get", BATCH, lambda b: session.get(session.put(b)),
                                             batch, memory=False).median_s
    return inputs


def _jpeg_512(path: Path) -> str:
    """A 512×512 JPEG (quality 90) of smooth content with noise, the size SD v1.4 writes."""
    from PIL import Image

    rng = np.random.default_rng(1)
    ramp = np.add.outer(np.linspace(0, 200, 512), np.linspace(0, 55, 512))[:, :, None]
    pixels = np.clip(ramp + rng.normal(0, 8, (512, 512, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, format="JPEG", quality=90)
    return str(path)


def _flops(checker, clip) -> int:
    """FLOPs of one pass of what the workers run per image: vision tower, projection, cosines."""
    from torch.utils.flop_counter import FlopCounterMode

    from lab.diffusion.corpus_worker import cosine

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        embeds = checker.visual_projection(checker.vision_model(clip)[1])
        cosine(embeds, checker.concept_embeds), cosine(embeds, checker.special_care_embeds)
    return int(counter.get_total_flops())


def measure_throughput(measure: Callable, quick: bool = False, images: int | None = None) -> dict:
    """Measure everything with `measure` (the harness's timer); return the record."""
    from lab.diffusion.raysession import RaySession

    count = images or (QUICK_IMAGES if quick else FULL_IMAGES)
    scratch = Path(tempfile.mkdtemp(prefix="lab-safety-bench-"))
    load = [os.getloadavg()[0]]
    session = RaySession(None)
    try:
        make_folder(scratch / "full", count, seed=0)
        # One torch thread, as each Ray worker has; then torch's default, as `lab sd safety` runs.
        plain = [time_plain(scratch / "full", count, n)
                 for n in sorted({1, torch.get_num_threads()})]
        load.append(os.getloadavg()[0])
        ray_start_s, ray = _timed(session.ensure)
        engines = [time_ray(scratch / "full", count, w, scratch) for w in (1, 2)]
        load.append(os.getloadavg()[0])
        inputs = plan_inputs(scratch / "full", ray, scratch, measure)
        load.append(os.getloadavg()[0])
    finally:
        session.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "benchmark": "safety_throughput", "date": datetime.date.today().isoformat(),
        "mode": "custom" if images else "quick" if quick else "full", "machine": machine(),
        "versions": versions() | {"ray": _version("ray"), "pyarrow": _version("pyarrow")},
        "load_average_1min": load, "batch_size": BATCH,
        "part_size": PART_SIZE, "ray_start_s": ray_start_s,
        "plain": plain, "ray": engines, "plan_inputs": inputs,
    }


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"
