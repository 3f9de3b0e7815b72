"""Broken model folders given as --model: each is one error line naming the file and what is wrong
with it, in every command that reads a model; nothing in the folder is run or unpickled."""

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from lab.cli import main
from lab.diffusion.pipeline import cache_dir, load_pipeline, open_model


@pytest.fixture(scope="module")
def tiny_path() -> Path:
    return open_model(None).path


def _edit_json(file: Path, **changes) -> None:
    data = json.loads(file.read_text())
    data.update(changes)
    file.write_text(json.dumps(data))


def _custom_code(model: Path) -> None:
    _edit_json(model / "model_index.json", unet=["my_unet", "MyUNet"])
    marker = model.parent / "custom-code-ran"
    (model / "unet" / "my_unet.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass MyUNet: pass\n")


def _swap_weights(model: Path) -> None:
    shutil.copy(model / "vae" / "diffusion_pytorch_model.safetensors",
                model / "unet" / "diffusion_pytorch_model.safetensors")


def _truncate(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


BREAKAGES = {  # name: (how to break a copy of the tiny model, pieces the error line must hold)
    "garbage config.json": (lambda m: (m / "unet" / "config.json").write_text("garbage{"),
                            ["unet/config.json", "not valid JSON"]),
    "config.json a list": (lambda m: (m / "vae" / "config.json").write_text("[1, 2]"),
                           ["vae/config.json", "expected a JSON object"]),
    "empty safetensors": (lambda m: (m / "vae" / "diffusion_pytorch_model.safetensors")
                          .write_bytes(b""), ["vae/diffusion_pytorch_model.safetensors",
                                              "not a valid .safetensors"]),
    "garbage safetensors": (lambda m: (m / "text_encoder" / "model.safetensors")
                            .write_bytes(os.urandom(4000)), ["text_encoder/model.safetensors",
                                                             "not a valid .safetensors"]),
    "truncated safetensors": (lambda m: _truncate(m / "unet" / "diffusion_pytorch_model.safetensors"),
                              ["unet/diffusion_pytorch_model.safetensors", "not a valid"]),
    "custom code component": (_custom_code, ["model_index.json", "my_unet", "names custom code"]),
    "unknown class": (lambda m: _edit_json(m / "model_index.json", vae=["diffusers", "NoSuchVAE"]),
                      ["model_index.json", "NoSuchVAE", "names no class of diffusers"]),
    "custom pipeline class": (lambda m: _edit_json(m / "model_index.json",
                                                   _class_name=["pipe", "MyPipeline"]),
                              ["model_index.json", "custom pipeline code"]),
    "wrong kind of class": (lambda m: _edit_json(m / "model_index.json",
                                                 scheduler=["diffusers", "UNet2DConditionModel"]),
                            ["model_index.json", "'scheduler'", "not a SchedulerMixin"]),
    "weights of another network": (_swap_weights, ["unet", "do not fit its config.json",
                                                   "tensors missing"]),
    "config value of a wrong type": (lambda m: _edit_json(m / "unet" / "config.json",
                                                          layers_per_block="abc"),
                                     ["unet", "UNet2DConditionModel cannot be loaded"]),
    "bad scheduler config": (lambda m: _edit_json(m / "scheduler" / "scheduler_config.json",
                                                  num_train_timesteps="x"),
                             ["scheduler/scheduler_config.json", "PNDMScheduler"]),
    "no block_out_channels": (lambda m: _edit_json(m / "vae" / "config.json",
                                                   block_out_channels="wide"),
                              ["vae/config.json", "block_out_channels"]),
    "missing folder": (lambda m: shutil.rmtree(m / "tokenizer"), ["missing tokenizer"]),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
@pytest.mark.parametrize("command", ["inspect", "sample", "safety"])
def test_a_broken_model_folder_is_one_line(tiny_path, tmp_path, capsys, breakage, command):
    model = tmp_path / "model"
    shutil.copytree(tiny_path, model)
    breaks, pieces = BREAKAGES[breakage]
    breaks(model)
    images = tmp_path / "images"  # safety reads its folder before the model
    images.mkdir()
    Image.new("RGB", (32, 32)).save(images / "ok.png")
    args = {"inspect": [], "sample": ["--steps", "2", "--out", str(tmp_path / "out")],
            "safety": [str(images), "--out", str(tmp_path / "out")]}[command]
    assert main(["sd", command, *args, "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lab sd: error: "), err
    for piece in pieces:
        assert piece in err, (piece, err)
    assert not (tmp_path / "custom-code-ran").exists()


def test_pickled_weights_beside_safetensors_are_never_unpickled(tiny_path, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_path, model)
    marker = tmp_path / "unpickled"

    class Trap:  # unpickling this creates the marker file
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for name in ("unet/diffusion_pytorch_model.bin", "vae/diffusion_pytorch_model.bin",
                 "text_encoder/pytorch_model.bin", "safety_checker/pytorch_model.bin"):
        (model / name).write_bytes(pickle.dumps(Trap()))
    pipe, tiny = load_pipeline(str(model), torch.device("cpu"), torch.float32, need_safety=True)
    assert not tiny and pipe.unet is not None
    assert not marker.exists()


def test_sd14s_old_feature_extractor_name_is_still_accepted(tiny_path, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_path, model)
    _edit_json(model / "model_index.json", feature_extractor=["transformers", "CLIPFeatureExtractor"])
    assert open_model(str(model)).components["feature_extractor"].__name__ == "CLIPImageProcessor"


def test_the_tiny_cache_is_a_checked_model_folder(tiny_path):
    assert tiny_path == cache_dir()
    folder = open_model(str(tiny_path), need_safety=True)
    assert (folder.size_multiple(), folder.native_size()) == (4, 16)
    assert set(folder.components) >= {"vae", "text_encoder", "tokenizer", "unet", "scheduler",
                                      "safety_checker"}
