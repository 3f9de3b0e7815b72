"""Where `lab sd` commands write: --out checked before any work, files replaced atomically."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from lab.console import printable
from lab.errors import LabError


def check_out_folder(text: str) -> Path:
    """--out as a folder that exists or can be created and written into; a LabError otherwise.
    The folder itself is not created yet: a run that fails before writing leaves nothing behind."""
    if not text.strip():
        raise LabError("--out is empty: name the folder to write into")
    folder = Path(text)
    nearest = folder
    while not os.path.lexists(nearest):  # '.' always exists, so this ends
        nearest = nearest.parent
    name = printable(folder)
    if not nearest.is_dir():
        where = "exists" if nearest == folder else f"lies under {printable(nearest)}, which exists"
        raise LabError(f"--out {name}: {where} and is not a folder")
    # Trying is the only reliable test: os.access says yes to root on a read-only mount.
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".lab-probe-", dir=nearest))
    except OSError as e:
        raise LabError(f"--out {name}: {printable(nearest)} is not writable "
                       f"({e.strerror or e})") from None
    return folder


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write path through write(file) into a temporary file in the same folder, then rename it over
    path: a reader sees the old file or the whole new one, never a half-written one."""
    # Opened with "xb" rather than mkstemp: the file gets the usual umask permissions.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except OSError as e:
        raise LabError(f"cannot write {printable(path)}: {e.strerror or e}") from None
    finally:
        with contextlib.suppress(OSError):  # gone already after a successful rename
            temp.unlink()
    return path
