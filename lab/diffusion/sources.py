"""What `lab sd safety --engine ray SOURCE` is asked to check: every entry under a folder (the same
guarded walk as the plain path), or every line of a list file, one image path per line.

A list file is how corpus-scale image sets usually arrive (a manifest exported from a crawl or a
database). It is read as bytes, so that any file name except one holding a newline can be listed;
a relative path is taken relative to the list file's folder. A path given twice (the same text,
or the same once joined to that folder) is listed once. Each listed path is only stat'ed here
(never opened): what is not a regular file, or is another path to a file already listed, is named
with the reason, as the walk names it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lab.diffusion.imagefiles import Listing, walk
from lab.errors import LabError
from lab.output.terminal import printable

# A list file is text: these open as images, and a NUL byte in its first block means binary data.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
SNIFF_BYTES = 4096
_KINDS = ((stat.S_ISDIR, "a folder (a list file names image files)"),
          (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def list_source(source: Path, follow_links: bool = False) -> Listing:
    """Every entry SOURCE names, in a fixed order: a folder's walk (links out of it followed only
    with `follow_links`), or a list file's lines. The same SOURCE unchanged on disk gives the same
    listing, which is what lets a rerun find its finished parts. LabError when SOURCE is neither,
    or names nothing."""
    shown = printable(source)
    try:
        mode = os.stat(source).st_mode
    except OSError as e:
        raise LabError(f"{shown}: cannot read it ({e.strerror or type(e).__name__})") from None
    if stat.S_ISDIR(mode):
        listing = walk(source, follow_links)
    elif stat.S_ISREG(mode):
        listing = read_list_file(source)
    else:  # opening a named pipe would block
        raise LabError(f"{shown}: neither a folder nor a list file")
    if not listing.files and not listing.skipped:
        raise LabError(f"{shown}: names no files")
    return listing


def read_list_file(file: Path) -> Listing:
    """The paths a list file names, one per line (blank lines ignored; a trailing CR dropped),
    relative ones resolved against the file's folder; each path listed once (repeats counted in
    `duplicates`), each regular file kept once."""
    if file.suffix.lower() in IMAGE_SUFFIXES:
        raise LabError(f"{printable(file)}: an image, not a list of image paths "
                       "(give its folder, or a text file of paths)")
    try:
        data = file.read_bytes()
    except OSError as e:
        raise LabError(f"{printable(file)}: cannot read it ({e.strerror})") from None
    if b"\0" in data[:SNIFF_BYTES]:
        raise LabError(f"{printable(file)}: not a text file of image paths (binary data)")
    base = file.parent
    listing = Listing()
    seen: dict[tuple[int, int], str] = {}
    listed: set[str] = set()
    for line in data.split(b"\n"):
        line = line.removesuffix(b"\r")
        if not line.strip():
            continue
        path = os.fsdecode(line)  # undecodable bytes survive as surrogate escapes
        path = path if os.path.isabs(path) else os.path.join(base, path)
        if path in listed:  # one row per path: the results are keyed by it
            listing.duplicates += 1
            continue
        listed.add(path)
        _classify(path, listing, seen)
    return listing


def _classify(path: str, listing: Listing, seen: dict[tuple[int, int], str]) -> None:
    try:
        st = os.stat(path)  # follows a symlink, as the plain path reads the file it points to
    except OSError as e:
        listing.skipped.append((path, f"cannot follow ({e.strerror or type(e).__name__})"))
        return
    key = (st.st_dev, st.st_ino)
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        listing.skipped.append((path, kind))
    elif key in seen:
        listing.skipped.append((path, f"the same file as {seen[key]}"))
    else:
        seen[key] = path
        listing.add_file(path, st)
