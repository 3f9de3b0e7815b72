"""`lab sd safety` over a hostile image folder: named pipes, self-symlinks, symlink loops, device
files, truncated and empty files, a decompression bomb, markup and escape characters in names,
images at the top level beside a subfolder. Every entry must be checked or named with a reason,
and the run must finish (the CLI runs in a subprocess with a timeout, so a hang fails)."""

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lab.diffusion.imagefiles import MAX_DECODED_PIXELS, Unreadable, check_size, load_rgb, walk
from lab.diffusion.safety import open_folder

ESCAPE_NAME = "esc\x1b[31mred.png"  # an ANSI colour sequence inside a file name
MARKUP_DIR, MARKUP_FILE = "x[", "]y.png"  # together the path holds "x[/]y.png"


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares width × height, with one tiny IDAT: a few dozen bytes that
    would decode to an enormous image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))
            + chunk(b"IEND", b""))


def _image(path: Path, seed: int, fmt: str | None = None) -> None:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(path, format=fmt)


@pytest.fixture
def tree(tmp_path) -> Path:
    """The hostile folder. Expected outcome per top-level name is in EXPECTED. Beside it, a
    folder of images that links inside it lead to."""
    outside = tmp_path / "outside"
    outside.mkdir()
    _image(outside / "private.png", 8)
    root = tmp_path / "tree"
    (root / "cats").mkdir(parents=True)
    (root / "deep" / "a" / "b").mkdir(parents=True)
    (root / MARKUP_DIR).mkdir()
    _image(root / "root1.png", 0)
    _image(root / "cats" / "a.png", 1)
    _image(root / "deep" / "a" / "b" / "c.jpg", 2)
    _image(root / MARKUP_DIR / MARKUP_FILE, 3)
    _image(root / "[reverse]z.png", 4)
    _image(root / ESCAPE_NAME, 5, "PNG")
    _image(root / os.fsdecode(b"bad\xff.png"), 6)  # not UTF-8
    os.mkfifo(root / "pipe.png")
    os.symlink(".", root / "self")
    os.symlink("..", root / "cats" / "up")
    os.symlink("b.png", root / "a.png")
    os.symlink("a.png", root / "b.png")
    os.symlink("nowhere.png", root / "dangling.png")
    os.symlink("root1.png", root / "alias.png")
    os.symlink("/dev/null", root / "null.png")
    os.symlink(outside, root / "usr")  # `DIR/usr -> /usr`: not walked
    os.symlink("../../outside/private.png", root / "cats" / "private.png")
    buf = io.BytesIO()
    # Noise, so that the scan data (cut below) is most of the file and the header stays whole.
    Image.fromarray(np.random.default_rng(7).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        buf, format="JPEG")
    (root / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (root / "empty.png").write_bytes(b"")
    (root / "text.png").write_text("not an image")
    Image.new("L", (20000, 1)).save(root / "wide.png")  # ~100 bytes; 4.5 GB once Resize(224)d
    (root / "huge.png").write_bytes(_png_header(100_000, 100_000))
    return root


CHECKED = {"root1.png", "cats/a.png", "deep/a/b/c.jpg", f"{MARKUP_DIR}/{MARKUP_FILE}",
           "[reverse]z.png", ESCAPE_NAME, os.fsdecode(b"bad\xff.png")}
SKIPPED = {  # name: a piece of the reason
    "pipe.png": "named pipe", "self": "same folder", "cats/up": "same folder",
    "a.png": "symbolic links", "b.png": "symbolic links", "dangling.png": "No such file",
    "alias.png": "same file as", "null.png": "outside the folder", "usr": "outside the folder",
    "cats/private.png": "outside the folder", "truncated.jpg": "truncated",
    "empty.png": "not an image", "text.png": "not an image", "wide.png": "resized",
    "huge.png": "decompression bomb",
}


def on_disk(root: Path) -> set[str]:
    """Every non-folder entry under root, symlinks to folders included, without following any."""
    found = set()
    for folder, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def test_the_fixture_holds_what_the_tables_say(tree):
    assert on_disk(tree) == CHECKED | set(SKIPPED)


def test_walk_names_each_entry_once_and_lists_real_paths_first(tree):
    listing = walk(tree)
    named = [os.path.relpath(p, tree) for p in listing.files] + [
        os.path.relpath(p, tree) for p, _ in listing.skipped]
    assert sorted(named) == sorted(set(named))  # nothing walked twice
    assert set(named) == on_disk(tree)
    assert "root1.png" in {os.path.relpath(p, tree) for p in listing.files}  # not alias.png


def test_links_out_of_the_folder_are_named_and_followed_only_when_asked(tree):
    listing = walk(tree)
    outside = str(tree.parent / "outside")
    assert not [p for p in listing.files if "private" in p]
    reasons = {os.path.relpath(p, tree): why for p, why in listing.skipped}
    assert reasons["usr"] == f"a link to {outside}, outside the folder (--follow-links follows it)"
    assert reasons["null.png"].startswith("a link to /dev/null, outside the folder")
    followed = walk(tree, follow_links=True)
    assert {os.path.relpath(p, tree) for p in followed.files} == CHECKED | {
        "truncated.jpg", "empty.png", "text.png", "wide.png", "huge.png", "cats/private.png"}
    reasons = {os.path.relpath(p, tree): why for p, why in followed.skipped}
    assert "same file as" in reasons["usr/private.png"] and reasons["null.png"] == "a character device"


def test_open_folder_accounts_for_every_entry(tree):
    dataset, skipped = open_folder(tree)
    checked = {os.path.relpath(p, tree) for p in dataset.paths}
    reasons = {os.path.relpath(p, tree): why for p, why in skipped}
    # The truncated JPEG has a whole header: it is only found out when decoded (by run()).
    assert checked == CHECKED | {"truncated.jpg"}
    assert set(reasons) == set(SKIPPED) - {"truncated.jpg"}
    for name, piece in SKIPPED.items():
        if name in reasons:
            assert piece.lower() in reasons[name].lower(), (name, reasons[name])


@pytest.mark.parametrize("width, height, ok", [
    (224, 224, True), (1, 1, True), (7000, 224, True), (40, 30, True),
    (20000, 1, False), (224, 7169, False), (MAX_DECODED_PIXELS, 2, False), (0, 5, False),
])
def test_image_sizes_are_bounded_before_decoding(width, height, ok):
    if ok:
        check_size(width, height)
    else:
        with pytest.raises(Unreadable):
            check_size(width, height)


def test_a_truncated_jpeg_is_caught_by_a_full_decode(tree):
    load_rgb(str(tree / "truncated.jpg"), decode=False)  # its header is fine
    with pytest.raises(Unreadable, match="truncated"):
        load_rgb(str(tree / "truncated.jpg"))


def _lab(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lab.cli", *args], capture_output=True,
                          timeout=timeout, env=os.environ | {"COLUMNS": "300"})


def test_cli_safety_over_the_tree_finishes_and_accounts_for_everything(tree, tmp_path):
    done = _lab("sd", "safety", str(tree), "--json", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    data = json.loads(done.stdout)  # the whole of stdout is one JSON document
    checked = {os.path.relpath(v["path"], tree) for v in data["images"]}
    skipped = {os.path.relpath(s["path"], tree): s["why"] for s in data["skipped"]}
    assert checked == CHECKED and set(skipped) == set(SKIPPED)
    assert len(data["images"]) + len(data["skipped"]) == len(on_disk(tree))
    for name, piece in SKIPPED.items():
        assert piece.lower() in skipped[name].lower(), (name, skipped[name])
    assert [v["index"] for v in data["images"]] == list(range(len(CHECKED)))


def test_cli_safety_prints_names_as_they_are(tree, tmp_path):
    done = _lab("sd", "safety", str(tree), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    text = done.stdout.decode()
    assert "\x1b" not in text  # the escape in a name is shown, not obeyed
    assert "esc\\x1b[31mred.png" in text and "bad\\udcff.png" in text
    assert "[reverse]z.png" in text and "x[/]y.png" in text  # markup shown as typed
    assert f"{len(CHECKED)} images checked" in text and f"{len(SKIPPED)} skipped" in text
    for name in SKIPPED:
        assert f"skipped {tree / name}: " in text, name
