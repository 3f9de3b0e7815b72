"""Hostile model configs and options are refused in one line before anything loads (training
timesteps, sample size, image side, batch size); a negative guidance in any notation is a value;
SIGTERM ends an `sd` run as Ctrl-C does; Ray folders of killed runs are removed by the next."""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

import lab.diffusion.commands as commands
from lab.cli import main
from lab.diffusion.pipeline import load, open_model
from lab.diffusion.raysession import RaySession, remove_stale_temps
from lab.diffusion.sampling import sample


@pytest.fixture(scope="module")
def tiny_path() -> Path:
    return open_model(None).path  # builds the tiny pipeline into the test cache once


@pytest.fixture
def no_loading(monkeypatch):
    """Loading a pipeline fails the test: what is checked must be checked before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("the pipeline was loaded before the options were checked")

    monkeypatch.setattr(commands, "load", refuse)


def _edit_json(file: Path, **changes) -> None:
    file.write_text(json.dumps(json.loads(file.read_text()) | changes))


HOSTILE = {  # name: (how to change a copy of the tiny model, extra options, pieces of the error)
    "training timesteps": (lambda m: _edit_json(m / "scheduler" / "scheduler_config.json",
                                                num_train_timesteps=20_000), [],
                           ["scheduler/scheduler_config.json", "num_train_timesteps 20000",
                            "from 1 to 10,000"]),
    "trained betas": (lambda m: _edit_json(m / "scheduler" / "scheduler_config.json",
                                           trained_betas=[0.001] * 10_001), [],
                      ["trained_betas has 10,001 entries"]),
    "sample size": (lambda m: _edit_json(m / "unet" / "config.json", sample_size=1024), [],
                    ["unet/config.json", "sample_size must be a positive integer up to 128"]),
    "vae levels": (lambda m: _edit_json(m / "vae" / "config.json", block_out_channels=[8] * 9), [],
                   ["vae/config.json", "block_out_channels must be a list of 1 to 8"]),
    "native side": (lambda m: (_edit_json(m / "unet" / "config.json", sample_size=32),
                               _edit_json(m / "vae" / "config.json", block_out_channels=[8] * 8)),
                    [], ["unet/config.json", "4096-pixel image, more than 2048"]),
    "image side": (lambda m: (_edit_json(m / "unet" / "config.json", sample_size=128),
                              _edit_json(m / "vae" / "config.json", block_out_channels=[8] * 4)),
                   ["--size", "4096"], ["--size 4096: must be a multiple of 16 up to 2048"]),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_config_is_refused_before_loading(tiny_path, tmp_path, capsys, no_loading, name):
    change, options, pieces = HOSTILE[name]
    model = tmp_path / "model"
    shutil.copytree(tiny_path, model)
    change(model)
    assert main(["sd", "sample", "--steps", "2", "--model", str(model), "--out",
                 str(tmp_path / "out"), *options]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lab sd: error: "), err
    for piece in pieces:
        assert piece in err, (piece, err)


def test_a_tokenizer_that_claims_any_length_pads_to_the_text_encoders(tiny_path, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_path, model)
    _edit_json(model / "tokenizer" / "tokenizer_config.json", model_max_length=10**6)
    pipe = load(open_model(str(model)), torch.device("cpu"), torch.float32)
    assert pipe.tokenizer.model_max_length == 10**6
    s = sample(pipe, "a prompt", steps=2)
    assert s.text_tokens.shape == (2, pipe.text_encoder.config.max_position_embeddings)


@pytest.mark.parametrize("engine", ["plain", "ray"])
def test_the_batch_size_is_bounded(tmp_path, capsys, no_loading, engine):
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (32, 32)).save(images / "a.png")
    assert main(["sd", "safety", str(images), "--engine", engine, "--batch-size", "100000",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--batch-size 100000: at most 256" in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("given, value", [("-1.5e1", -15.0), ("-1", -1.0), ("-.5", -0.5),
                                          ("-2E+0", -2.0), ("1e1", 10.0)])
def test_a_negative_guidance_in_any_notation_is_a_value(monkeypatch, given, value):
    seen = {}
    monkeypatch.setattr(commands, "cmd_sample", lambda args: seen.setdefault("g", args.guidance) and 0)
    assert main(["sd", "sample", "--guidance", given]) == 0
    assert seen["g"] == value


# `lab sd inspect` whose command sends itself SIGTERM, then would run on for a minute.
TERMINATED = """
import os, signal, sys, time, types
signal.signal(signal.SIGINT, signal.default_int_handler)
fake = types.ModuleType("lab.diffusion.commands")
def cmd_inspect(args):
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(60)
fake.cmd_inspect = cmd_inspect
sys.modules["lab.diffusion.commands"] = fake
import lab.diffusion
lab.diffusion.commands = fake
from lab.cli import main
sys.exit(main(["sd", "inspect"]))
"""


def test_sigterm_ends_an_sd_command_as_ctrl_c_does():
    done = subprocess.run([sys.executable, "-c", TERMINATED], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert done.stderr.splitlines()[-1] == "lab sd: interrupted"


def test_ray_folders_of_killed_runs_are_removed_and_live_ones_kept(tmp_path):
    def ray_folder(name: str, lock: bool = True) -> Path:
        folder = tmp_path / name
        (folder / "session_latest").mkdir(parents=True)
        if lock:
            (folder / "lab.lock").write_text("")
        return folder

    killed, live, foreign = ray_folder("lab-ray-aaaa"), ray_folder("lab-ray-bbbb"), ray_folder(
        "lab-ray-cccc", lock=False)
    (tmp_path / "lab-ray-link").symlink_to(killed)
    fd = os.open(live / "lab.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as the run using it holds it
    try:
        assert remove_stale_temps(str(tmp_path)) == [killed]
    finally:
        os.close(fd)
    assert sorted(os.listdir(tmp_path)) == ["lab-ray-bbbb", "lab-ray-cccc", "lab-ray-link"]
    assert foreign.is_dir()


def test_a_local_ray_folder_is_locked_while_its_run_lives(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    session = RaySession(None)
    session._make_temp()
    try:
        assert os.listdir(session.temp) == ["lab.lock"]
        assert remove_stale_temps(str(tmp_path)) == []
    finally:
        session.close()
    assert os.listdir(tmp_path) == []
