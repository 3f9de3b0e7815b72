"""The image files under a folder, each real file once, and a guarded way to decode one.

A folder handed to `lab sd safety` may hold anything: named pipes (opening one blocks), device
files, symlinks to a parent (a walk that follows them never ends), symlink loops, symlinks out of
the folder (`DIR/usr -> /usr` would check a whole system's images), truncated files, and images
whose few header bytes declare billions of pixels. The walk below only ever stats entries; only
regular files are opened, and only after their declared size has been bounded."""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

# PIL's own decompression-bomb threshold (Image.MAX_IMAGE_PIXELS): above it PIL warns, at twice
# it refuses. We refuse at it, with a reason, before anything is decoded.
MAX_DECODED_PIXELS = 89_478_485
# Resize(224) scales the short side to 224, so a 20000×1 image becomes 224×4,480,000. Bounding the
# resized pixel count bounds the aspect ratio at 32:1 (a wide panorama still passes).
CROP = 224
MAX_RESIZED_PIXELS = CROP * CROP * 32

_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class Unreadable(Exception):
    """This file is not an image we decode; the message says why."""


@dataclass
class Listing:
    """Regular files to try, in walk order, and (path, why) for every other entry; each file's
    identity (`identity`) when it was listed; how many repeated lines a list file had."""

    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    identities: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0

    def add_file(self, path: str, st: os.stat_result) -> None:
        """List the regular file at path, whose stat is st."""
        self.files.append(path)
        self.identities[path] = identity(st)

    def entries(self) -> list[tuple[str, str]]:
        """(path, what it is) for every entry, files first: a file's identity, or the reason it
        is skipped. Two listings with equal entries would give the same results."""
        return ([(p, self.identities[p]) for p in self.files]
                + [(p, f"skipped: {why}") for p, why in self.skipped])


def identity(st: os.stat_result) -> str:
    """A file's identity as far as its stat tells: size, modification and change times (ns),
    inode. Any rewrite, replacement or truncation changes it, without reading the file."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _why(e: OSError) -> str:
    return e.strerror or type(e).__name__


def _entries(folder: str, listing: Listing) -> list[os.DirEntry]:
    """The folder's entries sorted by name; an unreadable folder is named in the listing."""
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as e:
        listing.skipped.append((folder, f"cannot list this folder ({_why(e)})"))
        return []


def walk(root: Path, follow_links: bool = False) -> Listing:
    """Every entry under root, depth first in name order. The real tree comes first; symlinks are
    followed afterwards, so a file is reported under its real path and a link to it as a second
    path. Each real folder is listed once and each real file kept once (tracked by (st_dev,
    st_ino)): a link back to a folder already walked, a second path to a file, a broken or looping
    link and any non-regular file are named in `skipped` with the reason. A link that leads out of
    root is named and not followed, unless `follow_links`."""
    listing = Listing()
    top = os.stat(root)
    inside = os.path.realpath(root)
    folders = {(top.st_dev, top.st_ino): str(root)}
    files: dict[tuple[int, int], str] = {}
    links: list[str] = []
    # An explicit stack of iterators rather than recursion: no depth limit on deep trees.
    stack = [iter(_entries(str(root), listing))]
    while stack or links:
        if not stack:
            path = links.pop(0)
            target = os.path.realpath(path)
            if not follow_links and os.path.commonpath([inside, target]) != inside:
                listing.skipped.append((path, f"a link to {target}, outside the folder "
                                              "(--follow-links follows it)"))
                continue
        else:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
                continue
            if entry.is_symlink():
                links.append(entry.path)
                continue
            path = entry.path
        try:
            st = os.stat(path)  # follows symlinks; never opens anything
        except OSError as e:
            listing.skipped.append((path, f"cannot follow ({_why(e)})"))
            continue
        key = (st.st_dev, st.st_ino)
        if stat.S_ISDIR(st.st_mode):
            if key in folders:
                listing.skipped.append((path, f"the same folder as {folders[key]}, already walked"))
            else:
                folders[key] = path
                stack.append(iter(_entries(path, listing)))
        elif not stat.S_ISREG(st.st_mode):
            listing.skipped.append((path, _kind(st.st_mode)))
        elif key in files:
            listing.skipped.append((path, f"the same file as {files[key]}"))
        else:
            files[key] = path
            listing.add_file(path, st)
    return listing


def check_size(width: int, height: int) -> None:
    """Raise Unreadable when decoding, or resizing the short side to 224, would take too many
    pixels: a few header bytes can declare any size."""
    if width < 1 or height < 1:
        raise Unreadable(f"declares an empty {width}×{height} image")
    if width * height > MAX_DECODED_PIXELS:
        raise Unreadable(f"{width}×{height} is over {MAX_DECODED_PIXELS:,} pixels "
                         "(a decompression bomb?)")
    short, long = sorted((width, height))
    resized = CROP * math.floor(CROP * long / short)
    if resized > MAX_RESIZED_PIXELS:
        raise Unreadable(f"{width}×{height}: resized to a short side of {CROP} it would be "
                         f"{resized:,} pixels (more than {MAX_RESIZED_PIXELS:,})")


def _open_regular(path: str):
    """A binary file object for path, only if it is a regular file. O_NONBLOCK: should the path
    have become a named pipe since the walk, opening it returns at once instead of blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise Unreadable(_kind(mode))
    return os.fdopen(fd, "rb")


def load_rgb(path: str, decode: bool = True) -> Image.Image | None:
    """The image at path decoded in full and converted to RGB, or (decode=False) only its header
    checked. Raises Unreadable with the reason for anything that is not a decodable image."""
    try:
        with _open_regular(path) as f, Image.open(f) as im:
            check_size(*im.size)
            if not decode:
                return None
            im.load()  # decode everything: verify() misses a truncated JPEG's missing data
            return im.convert("RGB")
    except Unreadable:
        raise
    except UnidentifiedImageError:
        raise Unreadable("not an image format PIL reads") from None
    except OSError as e:  # with an errno from the system, else PIL's own ("image file is truncated")
        raise Unreadable(f"cannot read it ({e.strerror})" if e.errno else f"cannot decode ({e})"
                         ) from None
    except Exception as e:  # noqa: BLE001
        # PIL's decoders report corrupt data as ValueError, SyntaxError, struct.error, EOFError,
        # IndexError...: whatever one file does, it is skipped with the reason, not fatal.
        raise Unreadable(f"cannot decode ({type(e).__name__}: {e})") from None
