"""The safety checker over a whole image corpus on Ray Data: list the source, skip the parts a
previous run finished, stream the rest through an actor pool, write each part as it completes.

    listing ──► parts (keyed) ──► Ray Data: from_items(index, path)
                                      │ [decode tasks, CPUs]     only when the checker is on GPUs
                                      ▼
                                  map_batches(CheckerWorker, actor pool)   model loaded once each
                                      │ rows: index, reason, flagged, scores (never pixels)
                                      ▼
                     driver: rows grouped by part ──► a part complete ─► Parquet, atomically

Without an address Ray starts on this machine and stops at the end; with one, the run joins that
cluster (`lab.diffusion.raysession`)."""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from lab.diffusion.imagefiles import Listing
from lab.diffusion.modelfolder import ModelFolder, reason
from lab.diffusion.parts import Accounting, Part, PartStore, plan
from lab.diffusion.raysession import RaySession, quiet_ray_loggers
from lab.errors import LabError

DEFAULT_PART_SIZE = 1000
# Rows per Ray block, in batches: enough to keep a worker busy between scheduling decisions.
BATCHES_PER_BLOCK = 4


@dataclass
class Settings:
    """How a run is carried out; none of it changes the results but the dtype (part of the key)."""

    workers: int | None = None  # checker actors; None: the GPUs, else the CPUs Ray has
    batch_size: int = 10
    part_size: int = DEFAULT_PART_SIZE
    device: str = "auto"  # auto | cpu | cuda
    dtype: str = "auto"  # auto: float16 on GPUs, float32 on CPUs
    address: str | None = None


def model_fingerprint(folder: ModelFolder, dtype: str) -> str:
    """The safety checker's identity for part keys: its config and weights, hashed, and the
    dtype it runs in (float16 scores differ from float32 ones)."""
    digest = hashlib.sha256(f"{dtype}\0".encode())
    checker = folder.path / "safety_checker"
    for file in sorted(checker.glob("*.json")) + sorted(checker.glob("*.safetensors")):
        digest.update(file.name.encode() + b"\0")
        with open(file, "rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


@dataclass
class Outcome:
    """What a run did: its accounting and the resolved settings it ran with."""

    accounting: Accounting
    store: PartStore
    workers: int
    device: str
    dtype: str


@dataclass
class Job:
    """What the workers are given: the checker to load, and how to run it."""

    checker_class: type
    model: str | None  # the model folder; None: the embedded tiny one, built on each node
    dtype: str
    gpus: int
    workers: int
    batch_size: int
    actor_cpus: float  # CPUs each actor reserves


def run(listing: Listing, source: str, store: PartStore, folder: ModelFolder, settings: Settings,
        advance: Callable[[int], None] = lambda n: None,
        after_part: Callable[[int], None] = lambda written: None,
        session: RaySession | None = None) -> Outcome:
    """Check every entry of a source's listing (`sources.list_source`) into store's parts (those
    already finished are kept) and write accounting.json. advance(n): n more entries done.
    after_part(k): called once the k-th part of this run is written (the tests stop a run there).
    session: the caller's (who closes it), else one of this run's own. On an exception or Ctrl-C,
    the parts written so far stay, the accounting says what is pending, and the exception goes on.
    The store is held for this run alone from before other parts are removed until the accounting
    is written (`PartStore.locked`): a second run into it is refused."""
    entries = listing.entries()
    known = {len(listing.files) + i: why for i, (_, why) in enumerate(listing.skipped)}
    own = session is None
    session = session or RaySession(settings.address)
    try:
        job = _job(folder, settings, session)
        parts = plan(entries, settings.part_size, model_fingerprint(folder, job.dtype))
        with store.locked():
            acc = _run_parts(parts, known, store, source, settings, job, session, advance,
                             after_part)
    finally:
        if own:
            session.close()
    return Outcome(acc, store, job.workers, _device(job.gpus), job.dtype)


def _run_parts(parts: list[Part], known: dict[int, str], store: PartStore, source: str,
               settings: Settings, job: Job, session: RaySession, advance: Callable[[int], None],
               after_part: Callable[[int], None]) -> Accounting:
    """Write the parts not finished yet; the accounting of all of them, also on the way out of an
    exception."""
    store.remove_others(parts)
    todo = [p for p in parts if not store.finished(p)]
    advance(sum(len(p.paths) for p in parts) - sum(len(p.paths) for p in todo))
    written = 0
    try:
        pending = {p.number: {i: _known_row(why) for i in range(p.start, p.start + len(p.paths))
                              if (why := known.get(i))} for p in todo}
        with contextlib.closing(_complete_parts(todo, pending, session, job, advance)) as done:
            for part in done:  # closing(): a Ctrl-C here also stops Ray's executor at once
                store.write(part, pending.pop(part.number))
                written += 1
                after_part(written)
    except Exception as e:  # noqa: BLE001 — a Ray error is reported in one line; parts stay
        if isinstance(e, LabError):
            raise
        raise LabError(f"the Ray job failed ({_ray_reason(e)}); {written} of {len(todo)} parts "
                       "of this run are written: run the same command again to finish") from None
    finally:
        acc = store.account(source, parts, len(parts) - len(todo), written)
        store.write_accounting(acc, {"workers": job.workers, "device": _device(job.gpus),
                                     "dtype": job.dtype, "batch_size": settings.batch_size,
                                     "part_size": settings.part_size, "address": settings.address})
    return acc


def sizing(settings: Settings, session: RaySession) -> tuple[int, int, int]:
    """(GPUs, CPUs, workers) of this run, once --workers is known to fit what Ray has: an actor
    holds a GPU, or (without GPUs) a CPU. LabError otherwise; a local Ray is not started for it."""
    gpus, cpus = session.gpus(settings.device), session.cpus()
    workers = settings.workers or gpus or cpus
    slots, what = (gpus, "GPU") if gpus else (cpus, "CPU")
    if workers > slots:
        raise LabError(f"--workers {workers}: this Ray has {slots} {what}{'s' * (slots > 1)}, one "
                       "per worker" + ("" if settings.address else
                                       " (start Ray yourself for more and pass --address auto)"))
    return gpus, cpus, workers


def _job(folder: ModelFolder, settings: Settings, session: RaySession) -> Job:
    """The workers' job. With GPUs the actors leave at least one CPU to the decoding tasks."""
    gpus, cpus, workers = sizing(settings, session)
    dtype = settings.dtype if settings.dtype != "auto" else ("float16" if gpus else "float32")
    actor_cpus = min(1.0, (cpus - 1) / workers) if gpus else 1.0
    model = str(folder.path) if not folder.tiny or settings.address is None else None
    return Job(folder.components["safety_checker"], model, dtype, gpus, workers,
               settings.batch_size, actor_cpus)


def _device(gpus: int) -> str:
    return "cuda" if gpus else "cpu"


def _known_row(why: str) -> dict:
    return {"reason": why, "flagged": None, "concept_scores": None, "special_scores": None}


def _ray_reason(e: BaseException) -> str:
    """A Ray error in one line: the worker's own exception when Ray carries it."""
    cause = getattr(e, "cause", None)
    return reason(cause if isinstance(cause, BaseException) else e)


def _complete_parts(todo: list[Part], pending: dict[int, dict[int, dict]], session: RaySession,
                    job: Job, advance: Callable[[int], None]):
    """Yield each part of todo once all its rows are in `pending`: first those made only of
    entries the listing already refused, then the others in the order Ray finishes them."""
    size = {p.number: len(p.paths) for p in todo}
    by_number = {p.number: p for p in todo}
    # Listed before any part is yielded: the caller takes a finished part's rows out of pending.
    items = [{"index": i, "path": os.fsencode(p.paths[i - p.start])} for p in todo
             for i in range(p.start, p.start + len(p.paths)) if i not in pending[p.number]]
    advance(sum(len(rows) for rows in pending.values()))
    yield from [p for p in todo if len(pending[p.number]) == size[p.number]]
    if not items:
        return
    part_of = _part_lookup(todo)
    batches = _dataset(session.ensure(), items, job).iter_batches(batch_size=None,
                                                                  batch_format="numpy")
    try:
        for batch in batches:
            rows = _rows(batch)
            advance(len(rows))
            for row in rows:
                number = part_of(row["index"])
                pending[number][row.pop("index")] = row
                if len(pending[number]) == size[number]:
                    yield by_number[number]
    finally:
        close = getattr(batches, "close", None)
        if close:  # stop Ray's streaming executor now, not when the generator is collected
            close()


def _part_lookup(todo: list[Part]) -> Callable[[int], int]:
    """index → the number of the part holding it (parts are consecutive ranges)."""
    starts = [p.start for p in todo]
    numbers = [p.number for p in todo]
    return lambda index: numbers[bisect.bisect_right(starts, index) - 1]


def _rows(batch: dict) -> list[dict]:
    """A result batch from the workers as one dict per entry."""
    rows = []
    for j, index in enumerate(batch["index"]):
        why = str(batch["reason"][j])
        rows.append({"index": int(index), "reason": why or None,
                     "flagged": None if why else bool(batch["flagged"][j]),
                     "concept_scores": None if why else batch["concept_scores"][j].tolist(),
                     "special_scores": None if why else batch["special_scores"][j].tolist()})
    return rows


def _dataset(ray, items: list[dict], job: Job):
    """The Ray Data pipeline over the entries still to check. On GPUs, decoding runs in CPU tasks
    feeding the checker actors (one GPU each); on CPUs each actor decodes its own batches, which
    keeps images out of the object store and leaves no task waiting for a CPU the actors hold."""
    import ray.data

    from lab.diffusion.corpus_worker import CheckerWorker, decode_batch

    quiet_ray_loggers()
    with warnings.catch_warnings():  # Ray's own DataContext reads its deprecated fields
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # ours counts entries, on stderr
    context.enable_auto_log_stats = False
    # At least a block per worker (Ray warns of idle actors otherwise), no more workers than blocks.
    blocks = min(len(items), max(job.workers,
                                 math.ceil(len(items) / (job.batch_size * BATCHES_PER_BLOCK))))
    ds = ray.data.from_items(items, override_num_blocks=blocks)
    if job.gpus:
        ds = ds.map_batches(decode_batch, batch_size=job.batch_size, batch_format="numpy",
                            num_cpus=1)
    return ds.map_batches(
        CheckerWorker, batch_size=job.batch_size, batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=min(job.workers, blocks)),
        fn_constructor_kwargs=dict(checker_class=job.checker_class, model=job.model, dtype=job.dtype,
                                   device=_device(job.gpus), decode=not job.gpus, threads=1),
        num_cpus=job.actor_cpus, **({"num_gpus": 1} if job.gpus else {}))
