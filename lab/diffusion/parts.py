"""The results of `lab sd safety --engine ray` on disk: Parquet parts written whole or not at all,
found again by a rerun, and the accounting computed back from them.

The listing is cut into parts of `part_size` consecutive entries. A part's file name carries a key
made of the model's fingerprint and the part's entries — each path with its file's identity (size,
times, inode: `imagefiles.identity`) or the reason it is skipped — so a rerun trusts a part only
when it was written for the same files, unchanged, and the same model; a file replaced, rewritten
or truncated since is checked again. A part is written to a temporary name, synced and renamed
(`atomic_write`), so an interrupted run leaves either the whole part or none. A part whose footer
does not read back or whose row count is wrong is not trusted either, and is redone.

One run writes into a store at a time: it holds an flock on the store's .lab-lock file from before it
removes other runs' parts until its accounting is written, and a second run is refused.

A row per listed entry, keyed by path: `path` (text; bytes that are not UTF-8 shown as \\x.. or
\\udc.. escapes), `path_bytes` (the exact name), `status` ("checked" or "unreadable"), `reason`
(why it was not checked), `flagged`, `concept_scores`, `special_scores` (null when unreadable)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lab.errors import LabError
from lab.output.folders import atomic_write, atomic_write_text, check_writable
from lab.output.terminal import printable

SCHEMA = 1  # the row layout and preprocessing; a part written under another is not trusted
MARKER = ".lab-safety-parts"
MARKER_TEXT = ("This folder holds `lab sd safety --engine ray` results. A rerun with the same --out "
               "keeps the finished parts of the same files and model and removes any others.\n")
ACCOUNTING = "accounting.json"
LOCK = ".lab-lock"


@dataclass
class Part:
    """Entries [start, start + len(paths)) of the listing, and the key its file is named by."""

    number: int
    start: int
    paths: list[str]
    key: str

    @property
    def name(self) -> str:
        return f"part-{self.number:06d}-{self.key}.parquet"


def plan(entries: list[tuple[str, str]], part_size: int, fingerprint: str) -> list[Part]:
    """The listing's (path, identity or reason) entries (`Listing.entries()`) cut into parts of
    part_size, each keyed by the model and its entries."""
    parts = []
    for number, start in enumerate(range(0, len(entries), part_size)):
        chunk = entries[start:start + part_size]
        digest = hashlib.sha256(f"{SCHEMA}\0{fingerprint}\0".encode())
        for path, what in chunk:
            digest.update(os.fsencode(path) + b"\0" + os.fsencode(what) + b"\0")
        parts.append(Part(number, start, [p for p, _ in chunk], digest.hexdigest()[:16]))
    return parts


def text_path(path: str) -> str:
    """path as valid UTF-8 text: undecodable bytes (surrogate escapes) written as escapes."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8")


def _table(part: Part, rows: dict[int, dict]):
    import pyarrow as pa

    ordered = [rows[part.start + i] for i in range(len(part.paths))]
    scores = pa.list_(pa.float64())
    return pa.table({
        "path": pa.array([text_path(p) for p in part.paths], pa.string()),
        "path_bytes": pa.array([os.fsencode(p) for p in part.paths], pa.binary()),
        "status": pa.array(["unreadable" if r["reason"] else "checked" for r in ordered]),
        "reason": pa.array([r["reason"] or None for r in ordered], pa.string()),
        "flagged": pa.array([None if r["reason"] else r["flagged"] for r in ordered], pa.bool_()),
        "concept_scores": pa.array([None if r["reason"] else r["concept_scores"] for r in ordered],
                                   scores),
        "special_scores": pa.array([None if r["reason"] else r["special_scores"] for r in ordered],
                                   scores),
    })


@dataclass
class Accounting:
    """Every listed entry's fate, counted from the parts on disk: checked + unreadable + pending
    = listed, where pending are the entries of parts not written yet."""

    source: str
    listed: int
    checked: int = 0
    unreadable: int = 0
    flagged: int = 0
    pending: int = 0
    parts: int = 0
    parts_reused: int = 0
    parts_written: int = 0
    unreadable_files: list[dict] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every listed entry is in a written part."""
        return self.pending == 0

    @property
    def balanced(self) -> bool:
        """Whether the counts add up: nothing lost, nothing counted twice."""
        return self.checked + self.unreadable + self.pending == self.listed

    def as_dict(self) -> dict:
        """The JSON record: the fields, and whether it is complete and balanced."""
        return asdict(self) | {"complete": self.complete, "balanced": self.balanced}


class PartStore:
    """The parts folder: OUT/safety/parts, with accounting.json beside it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.parts_folder = folder / "parts"

    @classmethod
    def open(cls, out: str | os.PathLike) -> PartStore:
        """The store at OUT/safety, refused (one-line LabError) when OUT is empty, or that folder
        exists and lab did not write it. Nothing is created yet (`locked`): call it before any
        long work."""
        if not str(out).strip():
            raise LabError("--out is empty: name the folder to write into")
        return cls(check_writable(Path(out) / "safety", marker=MARKER))

    def prepare(self) -> None:
        """Create the folders and mark them as lab's."""
        try:
            self.parts_folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LabError(f"cannot create {printable(self.parts_folder)}: {e.strerror}") from None
        if not (self.folder / MARKER).is_file():
            atomic_write_text(self.folder / MARKER, MARKER_TEXT)

    @contextlib.contextmanager
    def locked(self) -> Iterator[PartStore]:
        """`prepare`, then hold the store for this run alone; a LabError at once when another run
        (here or on another machine sharing the folder) holds it. The lock goes with the process,
        however it ends."""
        self.prepare()
        try:
            fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            raise LabError(f"cannot write in {printable(self.folder)}: {e.strerror}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                said = os.pread(fd, 200, 0).decode(errors="replace").strip().splitlines()
                holder = printable(said[0]) if said else "another run"
                raise LabError(f"{printable(self.folder)} is being written by {holder}: one run "
                               "at a time per --out; wait for it to end or choose another "
                               "--out") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"lab (process {os.getpid()} on {os.uname().nodename})\n".encode(), 0)
            yield self
        finally:
            os.close(fd)

    def finished(self, part: Part) -> bool:
        """Whether part's file is there whole: its footer reads and it holds a row per entry."""
        import pyarrow.parquet as pq

        try:
            return pq.read_metadata(self.parts_folder / part.name).num_rows == len(part.paths)
        except (OSError, ValueError):  # absent, or not a whole Parquet file (ArrowInvalid)
            return False

    def write(self, part: Part, rows: dict[int, dict]) -> Path:
        """Write part's rows (by entry index) as one Parquet file, whole or not at all."""
        import pyarrow.parquet as pq

        table = _table(part, rows)
        return atomic_write(self.parts_folder / part.name, lambda f: pq.write_table(table, f))

    def remove_others(self, parts: list[Part]) -> None:
        """Delete files in the parts folder that are not one of these parts: parts of an earlier
        run over other files or another model, and temporary files an interrupted write left."""
        keep = {p.name for p in parts}
        for entry in os.scandir(self.parts_folder):
            if entry.name not in keep and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)

    def account(self, source: str, parts: list[Part], reused: int, written: int) -> Accounting:
        """The accounting read back from the parts on disk; each part's stored paths are checked
        against the listing, so a mislabelled part is an error, not a silent miscount."""
        import pyarrow.parquet as pq

        total = sum(len(p.paths) for p in parts)
        acc = Accounting(source, total, parts=len(parts), parts_reused=reused, parts_written=written)
        for part in parts:
            if not self.finished(part):
                acc.pending += len(part.paths)
                continue
            table = pq.read_table(self.parts_folder / part.name,
                                  columns=["path_bytes", "status", "reason", "flagged"])
            stored = [os.fsdecode(b) for b in table.column("path_bytes").to_pylist()]
            if stored != part.paths:
                raise LabError(f"{printable(self.parts_folder / part.name)}: holds other paths "
                               "than its name says; delete it and run again")
            columns = (table.column(c).to_pylist() for c in ("status", "reason", "flagged"))
            for path, status, reason, flagged in zip(stored, *columns, strict=True):
                if status == "checked":
                    acc.checked += 1
                    acc.flagged += bool(flagged)
                else:
                    acc.unreadable += 1
                    acc.unreadable_files.append({"path": path, "reason": reason})
        return acc

    def write_accounting(self, acc: Accounting, extra: dict) -> Path:
        """accounting.json beside the parts (paths with undecodable bytes as JSON escapes)."""
        return atomic_write_text(self.folder / ACCOUNTING,
                                 json.dumps(acc.as_dict() | extra, indent=1) + "\n")


def read_results(folder: str | os.PathLike) -> list[dict]:
    """Every row of every part under OUT/safety/parts, as dicts, in part order."""
    import pyarrow.parquet as pq

    rows = []
    for file in sorted((Path(folder) / "parts").glob("part-*.parquet")):
        rows += pq.read_table(file).to_pylist()
    return rows
