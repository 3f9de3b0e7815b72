"""The Stable Diffusion module on the embedded tiny pipeline (CPU), and v1.4's counts on meta."""

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from lab.cli import main
from lab.diffusion.components import COURSE_TABLE
from lab.diffusion.inspection import inspect_sd14
from lab.diffusion.pipeline import check_model_folder, load_pipeline
from lab.diffusion.safety import concept_scores, open_folder, run
from lab.diffusion.sampling import pipeline_image, sample
from lab.errors import LabError


@pytest.fixture(scope="module")
def tiny():
    pipe, is_tiny = load_pipeline(None, torch.device("cpu"), torch.float32)
    assert is_tiny
    return pipe


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "images" / "all"
    folder.mkdir(parents=True)
    for i in range(13):
        Image.fromarray(rng.integers(0, 255, (30 + i, 40, 3), dtype=np.uint8)).save(
            folder / f"{i:02d}.png")
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    return tmp_path / "images"


def test_sd14_counts_match_the_course_table():
    counts = {c.name: c for c in inspect_sd14()}
    for name, (_, tensors, scalars) in COURSE_TABLE.items():
        assert (counts[name].tensors, counts[name].scalars) == (tensors, scalars), name
        assert counts[name].modules > 100


def test_our_loop_equals_the_pipeline(tiny):
    ours = sample(tiny, "a red cube on a table", seed=3, steps=5, guidance=5.0, size=32)
    theirs = pipeline_image(tiny, "a red cube on a table", 3, 5, 5.0, 32)
    assert theirs.shape == ours.image.shape == (1, 3, 32, 32)
    assert float((theirs - ours.image).abs().max()) <= 1e-4
    other = sample(tiny, "a red cube on a table", seed=4, steps=5, guidance=5.0, size=32)
    assert float((other.image - ours.image).abs().max()) > 1e-3  # the seed matters


def test_tensor_shapes_and_intermediates(tiny):
    s = sample(tiny, "x", seed=0, steps=13, guidance=5.0, size=32)
    assert s.text_tokens.dtype == torch.int64 and s.text_tokens.shape == (2, 77)
    assert s.text_vectors.shape == (2, 77, tiny.text_encoder.config.hidden_size)
    assert s.image_vectors.shape == (1, 4, 16, 16) and s.rgb_vectors.shape == (1, 3, 32, 32)
    assert len(s.intermediates) == math.ceil(13 / 6) + 1
    assert s.text_tokens[0, 0] == tiny.tokenizer.bos_token_id  # row 0 is the empty prompt


def test_safety_over_a_folder_reports_and_skips(tiny, images):
    result = run(tiny.safety_checker, images, batch_size=10)
    assert len(result.verdicts) == 13 and [v.index for v in result.verdicts] == list(range(13))
    assert sorted(p.rsplit("/", 1)[-1] for p, _ in result.skipped) == ["broken.jpg", "notes.txt"]
    assert all(len(v.concept_scores) == 17 for v in result.verdicts)


def test_flags_follow_the_concept_scores(tiny, images):
    checker = tiny.safety_checker
    saved = checker.concept_embeds_weights.clone()
    try:
        with torch.no_grad():
            checker.concept_embeds_weights[3] = -5.0  # any image now scores > 0 on concept 3
        result = run(checker, images, batch_size=4)
        assert result.flagged == list(range(13))
        dataset, _ = open_folder(images)
        x = torch.stack([dataset[i] for i in range(4)])
        scores, _ = concept_scores(checker, x)
        assert bool((scores[:, 3] > 0).all())
    finally:
        with torch.no_grad():
            checker.concept_embeds_weights.copy_(saved)


def test_cli_safety_json_and_bad_folders(tiny, images, tmp_path, capsys):
    assert main(["sd", "safety", str(images / "all"), "--json", "--out", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert len(out["images"]) == 13 and len(out["skipped"]) == 2
    assert main(["sd", "safety", str(tmp_path / "missing")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["sd", "safety", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "no such folder" in err and "no readable images" in err


def test_cli_sample_writes_pngs(tiny, tmp_path, capsys):
    assert main(["sd", "sample", "--steps", "2", "--size", "32", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "image.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "intermediates.png").is_file()
    text = capsys.readouterr().out
    assert "noise" in text and "text_tokens" in text and "2×77" in text
    assert main(["sd", "sample", "--size", "30"]) == 2


def test_incomplete_model_folder_is_named(tmp_path):
    with pytest.raises(LabError, match="model_index.json"):
        check_model_folder(tmp_path)
    (tmp_path / "model_index.json").write_text("{}")
    with pytest.raises(LabError, match="lists no vae, text_encoder, tokenizer, unet, scheduler"):
        check_model_folder(tmp_path)
    (tmp_path / "model_index.json").write_text(json.dumps({
        "vae": ["diffusers", "AutoencoderKL"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "scheduler": ["diffusers", "PNDMScheduler"],
        "unet": ["diffusers", "UNet2DConditionModel"]}))
    (tmp_path / "unet").mkdir()
    (tmp_path / "unet" / "config.json").write_text("{}")
    (tmp_path / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"")
    with pytest.raises(LabError, match="missing vae, text_encoder, tokenizer, scheduler"):
        check_model_folder(tmp_path)
    for name in ("vae", "text_encoder", "tokenizer", "scheduler"):
        (tmp_path / name).mkdir()
    (tmp_path / "vae" / "config.json").write_text("{}")
    with pytest.raises(LabError, match=r"vae: no \.safetensors weights \(pickled \.bin"):
        check_model_folder(tmp_path)


@pytest.mark.gpu
def test_sample_on_cuda_in_fp16(tiny):
    pipe = tiny.to("cuda", torch.float16)
    try:
        s = sample(pipe, "x", seed=0, steps=3, guidance=5.0, size=32)
        assert s.rgb_vectors.dtype == torch.float16 and s.rgb_vectors.is_cuda
        assert torch.isfinite(s.image).all()
    finally:
        tiny.to("cpu", torch.float32)


def test_speed_benchmark_runs_tiny_and_writes_json(tiny, tmp_path):
    from lab.report.bench_sd import run as bench

    data = bench(tmp_path, torch.device("cpu"), steps=2, batch_sizes=(1, 2))
    saved = json.loads((tmp_path / "sd_pipeline.json").read_text())
    assert saved["steps"] == 2 and saved["loop"]["ours_steps_per_s"] > 0
    assert [s["batch"] for s in saved["safety"]] == [1, 2] and data["device"].startswith("CPU")


def test_inspect_a_local_model_folder(tiny, capsys):
    from lab.diffusion.pipeline import cache_dir

    assert main(["sd", "inspect", "--model", str(cache_dir()), "--json"]) == 0
    counts = {c["name"]: c for c in json.loads(capsys.readouterr().out)["components"]}
    assert counts["unet"]["scalars"] == sum(p.numel() for p in tiny.unet.parameters())
    assert set(counts) >= {"vae", "text_encoder", "unet", "safety_checker"}
    assert main(["sd", "inspect", "--model", str(cache_dir())]) == 0
    assert "not SD v1.4's architecture" in capsys.readouterr().out
