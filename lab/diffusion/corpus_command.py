"""`lab sd safety SOURCE --engine ray`: the options checked before any work, the run with a progress
bar on stderr, and the accounting printed (and stored beside the results)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from lab.diffusion.corpus import DEFAULT_PART_SIZE, Outcome, Settings, run, sizing
from lab.diffusion.jsonout import safety_json
from lab.diffusion.parts import ACCOUNTING, PartStore
from lab.diffusion.pipeline import TINY_NOTE, open_model
from lab.diffusion.raysession import RaySession, check_address
from lab.diffusion.safety import check_batch_size
from lab.diffusion.sources import list_source
from lab.errors import LabError
from lab.output.terminal import err, escaped, out, printable, progress

RAY_ONLY = (("address", "--address"), ("workers", "--workers"), ("part_size", "--part-size"))
# Unreadable files named one per line on the terminal; the rest are in accounting.json.
SHOWN_UNREADABLE = 20


def refuse_ray_options(args: argparse.Namespace) -> None:
    """The plain engine takes none of the Ray engine's options: say so instead of ignoring one."""
    given = [flag for name, flag in RAY_ONLY if getattr(args, name, None) is not None]
    if given:
        raise LabError(f"{given[0]} needs --engine ray")


def check_ranges(args: argparse.Namespace) -> None:
    """The counts, checked before anything is listed, loaded or started."""
    check_batch_size(args.batch_size)
    for name, flag in (("workers", "--workers"), ("part_size", "--part-size")):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise LabError(f"{flag} {value}: must be at least 1")
    if args.address is not None and not args.address.strip():
        raise LabError("--address is empty: give the cluster's address (or 'auto')")


def check_outside(store: PartStore, source: Path) -> None:
    """Refuse an --out whose results would lie inside the SOURCE folder: each rerun would list
    them as images (unreadable ones), so its parts would never match and it would never resume."""
    results, walked = store.folder.resolve(), source.resolve()
    if source.is_dir() and (results == walked or walked in results.parents):
        raise LabError(f"--out {printable(store.folder.parent)} is inside {printable(source)}: "
                       "its result files would be listed as images; choose a folder outside it")


def cmd_safety_ray(args: argparse.Namespace) -> int:
    """Run the safety checker over SOURCE on Ray Data into OUT/safety; print the accounting."""
    check_ranges(args)
    if args.address is not None:
        check_address(args.address)
    store = PartStore.open(args.out)  # a bad --out fails before any work
    check_outside(store, Path(args.folder))
    listing = list_source(Path(args.folder), args.follow_links)  # a bad SOURCE before the model
    if listing.duplicates:
        err.print(f"note: {listing.duplicates} repeated line{'s' * (listing.duplicates > 1)} of "
                  f"{printable(args.folder)} ignored: each path is checked once.", markup=False,
                  soft_wrap=True)
    settings = Settings(workers=args.workers, batch_size=args.batch_size,
                        part_size=args.part_size or DEFAULT_PART_SIZE, device=args.device,
                        dtype=args.dtype, address=args.address)
    with _stdout_to_stderr(args.json):
        outcome = _run_on_ray(args, listing, store, settings)
    if args.json:
        print(json.dumps(_json(args, outcome)))
    else:
        _print(outcome)
    return 0 if outcome.accounting.complete and outcome.accounting.balanced else 1


@contextlib.contextmanager
def _stdout_to_stderr(active: bool) -> Iterator[None]:
    """Under --json, descriptor 1 points at stderr while Ray runs: Ray's processes and log threads
    print their notices ("(raylet) Task … submit failed") to stdout, which holds the JSON alone."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _run_on_ray(args: argparse.Namespace, listing, store: PartStore, settings: Settings) -> Outcome:
    """The Ray session's part of `cmd_safety_ray`: size, load the model, run, close."""
    session = RaySession(args.address)
    try:
        sizing(settings, session)  # --workers against the cluster, before the model is read
        folder = open_model(args.model, need_safety=True)
        if folder.tiny:
            err.print(f"note: {TINY_NOTE}.", markup=False, soft_wrap=True)
        total = len(listing.files) + len(listing.skipped)
        with progress("safety checker (Ray Data)", total) as advance:
            return run(listing, printable(args.folder), store, folder, settings,
                       advance=advance, session=session)
    finally:
        session.close()


def _json(args: argparse.Namespace, outcome: Outcome) -> dict:
    """The accounting in lab.sd.safety's shape; per-image verdicts are in the Parquet parts."""
    acc, store = outcome.accounting, outcome.store
    counts = {"listed": acc.listed, "checked": acc.checked, "unreadable": acc.unreadable,
              "pending": acc.pending, "flagged": acc.flagged, "complete": acc.complete,
              "balanced": acc.balanced}
    return safety_json("ray", args.folder, counts, None,
                       [(u["path"], u["reason"]) for u in acc.unreadable_files],
                       {"grid": None, "results": str(store.parts_folder),
                        "accounting": str(store.folder / ACCOUNTING)},
                       {"parts": acc.parts, "parts_reused": acc.parts_reused,
                        "parts_written": acc.parts_written, "workers": outcome.workers,
                        "device": outcome.device, "dtype": outcome.dtype})


def _print(outcome: Outcome) -> None:
    """The unreadable files (the first few) and the accounting line."""
    acc = outcome.accounting
    for item in acc.unreadable_files[:SHOWN_UNREADABLE]:
        out.print(f"unreadable {escaped(item['path'])}: {escaped(item['reason'])}", soft_wrap=True)
    if acc.unreadable > SHOWN_UNREADABLE:
        out.print(f"… and {acc.unreadable - SHOWN_UNREADABLE} more unreadable files, each with its "
                  f"reason, in {escaped(outcome.store.folder / ACCOUNTING)}", soft_wrap=True)
    reused = f", {acc.parts_reused} of them from an earlier run" if acc.parts_reused else ""
    out.print(f"{acc.listed} listed = {acc.checked} checked + {acc.unreadable} unreadable"
              + (f" + {acc.pending} pending" if acc.pending else "")
              + f"; {acc.flagged} flagged. {acc.parts} parts{reused} in "
              f"{escaped(outcome.store.parts_folder)} ({outcome.workers} "
              f"worker{'s' * (outcome.workers != 1)}, {outcome.device}, "
              f"{outcome.dtype}); accounting in {escaped(outcome.store.folder / ACCOUNTING)}.",
              soft_wrap=True)
    if not acc.balanced:
        out.print("The counts do not add up: some entries are missing from the parts.",
                  soft_wrap=True)
