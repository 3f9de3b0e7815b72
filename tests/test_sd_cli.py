"""`lab sd` options: every range checked before the pipeline loads, one line and exit 2 when out
of range; --json stdout is JSON alone; --out checked before any work and written atomically."""

import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

import lab.diffusion.commands as commands
from lab.cli import main
from lab.diffusion.components import SD14_UNET, SD14_VAE, native_size, size_multiple
from lab.diffusion.pipeline import cache_dir, open_model
from lab.errors import LabError
from lab.output.folders import atomic_write, check_addable


@pytest.fixture(scope="module")
def tiny_folder():
    return open_model(None)  # builds the tiny pipeline into the test cache once


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


@pytest.fixture
def no_loading(monkeypatch):
    """Loading a pipeline fails the test: what is checked must be checked before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("the pipeline was loaded before the options were checked")

    monkeypatch.setattr(commands, "load", refuse)


@contextmanager
def deadline(seconds: float):
    """Fail instead of hanging: SIGALRM interrupts a blocking call in the main thread."""
    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def one_error_line(capsys, *pieces: str) -> str:
    """The captured stderr, asserted to be one line holding every piece."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lab sd: error: "), err
    for piece in pieces:
        assert piece in err, (piece, err)
    return err


def test_scale_factor_and_sizes_come_from_one_place():
    assert (size_multiple(SD14_VAE, SD14_UNET), native_size(SD14_VAE, SD14_UNET)) == (64, 512)


def test_inspect_json_is_the_whole_of_stdout(tiny_folder, capsys):
    assert main(["sd", "inspect", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["components"]
    assert {r["name"] for r in rows} == {"vae", "text_encoder", "unet", "safety_checker"}
    assert main(["sd", "inspect", "--model", str(cache_dir()), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["components"]) >= 4


def test_safety_json_is_the_whole_of_stdout_and_notes_go_to_stderr(tiny_folder, images, tmp_path,
                                                                   capsys):
    assert main(["sd", "safety", str(images), "--json", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert len(data["images"]) == 3 and data["skipped"] == []
    assert "note:" in captured.err and "note:" not in captured.out


@pytest.mark.parametrize("args, pieces", [
    (["--steps", "0"], ["--steps 0", "at least 1"]),
    (["--steps", "1000"], ["--steps 1000", "PNDMScheduler", "1 to 999"]),
    (["--steps", "100000"], ["--steps 100000", "1 to 999"]),
    (["--seed", str(2**70)], ["--seed", "2**64-1"]),
    (["--seed", "-1"], ["--seed -1"]),
    (["--size", "0"], ["--size 0", "positive"]),
    (["--size", "-8"], ["--size -8"]),
    (["--size", "30"], ["--size 30", "multiple of 4"]),
    (["--size", "1000000"], ["--size 1000000", "up to 64"]),
    (["--guidance", "nan"], ["--guidance nan", "finite"]),
    (["--guidance", "inf"], ["--guidance inf", "finite"]),
    (["--guidance=-inf"], ["--guidance -inf", "finite"]),
    (["--out", ""], ["--out is empty"]),
])
def test_sample_ranges_are_checked_before_loading(tiny_folder, no_loading, args, pieces, tmp_path,
                                                  capsys):
    assert main(["sd", "sample", "--out", str(tmp_path / "out"), *args]) == 2
    one_error_line(capsys, *pieces)
    assert not (tmp_path / "out").exists()


def test_the_largest_step_count_and_seed_are_accepted(tiny_folder):
    tiny_folder.check_steps(999)
    tiny_folder.check_steps(1)
    assert commands.SEED_MAX == 2**64 - 1
    import torch

    torch.Generator().manual_seed(commands.SEED_MAX)  # the bound is what torch accepts


@pytest.mark.parametrize("command", ["sample", "safety"])
def test_out_is_checked_before_any_work(tiny_folder, no_loading, images, tmp_path, capsys, command):
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me")
    extra = [str(images)] if command == "safety" else []
    for out, piece in [(a_file, "exists and is not a folder"),
                       (a_file / "below", "lies under"), ("", "--out is empty")]:
        assert main(["sd", command, *extra, "--out", str(out)]) == 2
        one_error_line(capsys, piece)
    assert a_file.read_text() == "keep me"


def test_an_unwritable_out_is_refused(monkeypatch, tmp_path):
    # Tests may run as root, for whom chmod does not make a folder unwritable: fail the probe.
    def refuse(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("lab.output.folders.tempfile.mkdtemp", refuse)
    with pytest.raises(LabError, match="not writable"):
        check_addable(str(tmp_path / "new" / "folder"))
    assert os.listdir(tmp_path) == []  # nothing created on the way


def test_writes_are_atomic(tmp_path):
    target = tmp_path / "image.png"
    atomic_write(target, lambda f: f.write(b"old"))

    def fails_halfway(f):
        f.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(LabError, match="No space left"):
        atomic_write(target, fails_halfway)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["image.png"]


def test_sample_writes_its_pngs_and_no_temporary_files(tiny_folder, tmp_path, capsys):
    out = tmp_path / "new" / "out"
    seed = str(commands.SEED_MAX)
    assert main(["sd", "sample", "--steps", "2", "--seed", seed, "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["image.png", "intermediates.png"]
    assert (out / "image.png").read_bytes()[:4] == b"\x89PNG"
    assert "note:" in capsys.readouterr().err


def test_a_fifo_as_model_config_does_not_block(tiny_folder, tmp_path, capsys):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(cache_dir(), model)
    (model / "unet" / "config.json").unlink()
    os.mkfifo(model / "unet" / "config.json")
    with deadline(60):
        assert main(["sd", "inspect", "--model", str(model)]) == 2
    one_error_line(capsys, "unet/config.json", "not a regular file")


@pytest.mark.parametrize("argv", [["inspect"], ["sample"], ["safety", "IMAGES"],
                                  ["safety", "IMAGES", "--engine", "ray"]])
def test_without_diffusers_each_command_is_one_line(monkeypatch, images, tmp_path, capsys, argv):
    monkeypatch.setitem(sys.modules, "diffusers", None)  # `import diffusers` raises ImportError
    argv = [str(images) if a == "IMAGES" else a for a in argv]
    assert main(["sd", *argv, *(["--out", str(tmp_path / "out")] if argv != ["inspect"] else [])]) == 2
    one_error_line(capsys, "the diffusion extra is needed: diffusers cannot be imported",
                   "pip install -e '.[diffusion")
    assert not (tmp_path / "out").exists()


def test_without_ray_the_ray_engine_is_one_line(monkeypatch, images, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["sd", "safety", str(images), "--engine", "ray", "--out", str(tmp_path / "o")]) == 2
    one_error_line(capsys, "the ray extra is needed: ray cannot be imported",
                   "pip install -e '.[diffusion,ray]'")


def test_a_diffusers_that_fails_to_import_is_one_line_from_the_command(tmp_path):
    """As a user meets it: a process whose diffusers raises ImportError on import."""
    fake = tmp_path / "site" / "diffusers"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('blocked', name='diffusers')\n")
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(fake.parent), *sys.path])}
    done = subprocess.run([sys.executable, "-m", "lab", "sd", "inspect", "--json"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.startswith("lab sd: error: the diffusion extra is needed: diffusers")
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize("engine", ["plain", "ray"])
def test_an_empty_source_is_refused_before_anything_loads(monkeypatch, tmp_path, capsys, engine):
    monkeypatch.chdir(tmp_path)  # '' would otherwise be the current folder, walked whole
    monkeypatch.setattr("lab.cli.sd.require", lambda extra: pytest.fail("the extras were imported"))
    assert main(["sd", "safety", "", "--engine", engine, "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, "SOURCE is empty")
