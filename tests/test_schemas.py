"""Every command's --json output (and the files `lab bench` writes) names its schema and the lab's
version and validates against the JSON Schema shipped in the package, whatever the mode."""

import json
from importlib.resources import files

import jsonschema
import numpy as np
import pytest
from PIL import Image

from lab import schemas
from lab.cli import main
from lab.meta import lab_version


def _validated(capsys, name: str) -> dict:
    """The captured stdout: one JSON object, valid under schema `name`, naming it."""
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schemas.load(name))
    assert data["schema"] == {"name": name, "version": 1} and data["lab_version"] == lab_version()
    return data


def test_every_shipped_schema_is_a_valid_schema_named_as_its_file():
    shipped = sorted(p.name for p in files(schemas).iterdir() if p.name.endswith(".json"))
    assert {"lab.check.json", "lab.diff.json", "lab.sd.inspect.json", "lab.sd.safety.json",
            "lab.gradbench.check.json", "lab.bench.sweep.json"} <= set(shipped)
    for name in shipped:
        schema = schemas.load(name.removesuffix(".json"))
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"] == name.removesuffix(".json")


@pytest.fixture(scope="module")
def tiny_model():
    from lab.diffusion.pipeline import cache_dir, open_model

    open_model(None)  # builds the tiny pipeline into the test cache once
    return cache_dir()


@pytest.fixture
def images(tmp_path):
    """Three plain-coloured images and one that is only a PNG signature."""
    (tmp_path / "images").mkdir()
    for colour in ("red", "green", "blue"):
        Image.new("RGB", (40, 24), colour).save(tmp_path / "images" / f"{colour}.png")
    (tmp_path / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return tmp_path / "images"


def test_sd_inspect_json_validates_for_v14_and_for_a_local_model(tiny_model, capsys):
    assert main(["sd", "inspect", "--json"]) == 0
    v14 = _validated(capsys, "lab.sd.inspect")
    assert v14["matches_course"] and all(c["course"] for c in v14["components"])
    assert main(["sd", "inspect", "--model", str(tiny_model), "--json"]) == 0
    tiny = _validated(capsys, "lab.sd.inspect")
    assert not tiny["matches_course"] and set(v14) == set(tiny)


def test_sd_safety_json_validates_for_the_plain_engine(tiny_model, images, tmp_path, capsys):
    assert main(["sd", "safety", str(images), "--json", "--out", str(tmp_path / "out")]) == 0
    data = _validated(capsys, "lab.sd.safety")
    assert (data["engine"], data["listed"], data["checked"], data["unreadable"]) == ("plain", 4, 3, 1)
    assert len(data["images"]) == 3 and data["skipped"][0]["path"].endswith("broken.png")
    assert data["flagged"] == sum(i["flagged"] for i in data["images"]) and data["ray"] is None


def test_gradbench_check_json_validates(tmp_path, capsys):
    from lab.backends import select
    from lab.interop.gradbench_tool import serve

    x = np.random.default_rng(1).random(5).tolist()
    messages = [{"id": 0, "kind": "start", "eval": "lse"}, {"id": 1, "kind": "define", "module": "lse"},
                {"id": 2, "kind": "evaluate", "module": "lse", "function": "gradient",
                 "input": {"x": x, "min_runs": 1, "min_seconds": 0}, "description": "n=5"}]
    responses = []
    serve(select(["tape"])[0], [json.dumps(m) for m in messages], responses.append)
    lines = [json.dumps({"elapsed": {"nanoseconds": 1000 * i}, key: value})
             for i, (m, r) in enumerate(zip(messages, responses, strict=True))
             for key, value in (("message", m), ("response", json.loads(r)))]
    log = tmp_path / "run.jsonl"
    log.write_text("\n".join(lines) + "\nnot json\n")
    assert main(["gradbench", "check", str(log), "--json"]) == 0
    data = _validated(capsys, "lab.gradbench.check")
    assert data["ok"] and [r["verdict"] for r in data["rows"]] == ["agree"] and data["notes"]


def test_a_bench_record_validates_against_its_schema():
    from lab.bench.harness import Timing
    from lab.bench.records import SCHEMA, record
    from lab.bench.runner import SweepResult

    timing = Timing("numpy", 100, 1e-4, 5e-5, 1e-6, 2e-6, 1e-7, 100, 2864, "tracemalloc")
    sweep = SweepResult("polynomial_order1", "a sweep", "n", "polynomial", timings=[timing],
                        primal={"numpy": [timing]}, primal_of={"numpy": "numpy"}, notes=["a note"])
    data = json.loads(json.dumps(record(sweep, "quick")))
    jsonschema.validate(data, schemas.load("lab.bench.sweep"))
    assert schemas.load("lab.bench.sweep")["properties"]["schema"]["const"] == SCHEMA
    data["timings"][0].pop("median_s")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schemas.load("lab.bench.sweep"))
