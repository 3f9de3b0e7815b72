"""`lab sd safety --engine ray`: the Ray Data path agrees with the plain one on the same folder,
accounts for every listed entry with hostile files mixed in, and resumes after an interruption
(a deterministic stop after part k, and a real Ctrl-C) to the same results as a run that was not
interrupted. One Ray session serves the whole module: starting Ray costs seconds."""

import io
import json
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import zlib
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import torch
from helpers import wait_until
from PIL import Image

import lab.diffusion.corpus as corpus
import lab.diffusion.raysession as raysession
from lab import schemas
from lab.cli import main
from lab.diffusion.corpus_worker import cosine, forward_flags, score
from lab.diffusion.imagefiles import Unreadable, load_rgb
from lab.diffusion.parts import ACCOUNTING, PartStore, plan, read_results
from lab.diffusion.pipeline import load_network, open_model
from lab.diffusion.safety import CLIP_TRANSFORM, concept_scores
from lab.diffusion.safety import run as plain_run
from lab.diffusion.sources import list_source

pytest.importorskip("ray")
# One Ray session per module: under `pytest -n 2 --dist loadgroup` the whole file runs on one worker.
pytestmark = pytest.mark.xdist_group("ray")

GOOD = 14
# name: a piece of the reason it is not checked (the plain path's reasons, word for word)
HOSTILE = {
    "empty.png": "not an image", "text.png": "not an image", "truncated.jpg": "truncated",
    "corrupt.png": "decode", "huge.png": "decompression bomb", "wide.png": "resized",
    "pipe.png": "named pipe", "dangling.png": "No such file", "a.png": "symbolic links",
    "b.png": "symbolic links", "alias.png": "same file as", "self": "same folder",
}


def _noise(rng, height: int, width: int) -> Image.Image:
    return Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8))


def _png_header(width: int, height: int) -> bytes:
    """A few dozen bytes of PNG declaring width × height pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))
            + chunk(b"IEND", b""))


def make_images(root: Path, good: int, seed: int = 0) -> Path:
    """good small images of several sizes and modes, one in a subfolder, one with a name that is
    not UTF-8."""
    rng = np.random.default_rng(seed)
    (root / "sub").mkdir(parents=True)
    for i in range(good):
        image = _noise(rng, 16 + 8 * (i % 4), 24 + 8 * (i % 3))
        if i % 5 == 1:
            image = image.convert("L")
        name = f"img{i:02d}.png" if i % 3 else f"img{i:02d}.jpg"
        image.save(root / ("sub" if i == 3 else ".") / name)
    _noise(rng, 20, 20).save(root / os.fsdecode(b"bad\xff.png"))
    return root


def make_hostile(root: Path) -> None:
    """The entries of HOSTILE, under root."""
    rng = np.random.default_rng(7)
    (root / "empty.png").write_bytes(b"")
    (root / "text.png").write_text("not an image")
    buf = io.BytesIO()
    _noise(rng, 64, 64).save(buf, format="JPEG")
    (root / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    buf = io.BytesIO()
    _noise(rng, 32, 32).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    data[60:90] = bytes(30)  # inside the compressed pixel data: the header still reads
    (root / "corrupt.png").write_bytes(bytes(data))
    (root / "huge.png").write_bytes(_png_header(100_000, 100_000))
    Image.new("L", (20000, 1)).save(root / "wide.png")
    os.mkfifo(root / "pipe.png")
    os.symlink("nowhere.png", root / "dangling.png")
    os.symlink("b.png", root / "a.png")
    os.symlink("a.png", root / "b.png")
    os.symlink("img01.png", root / "alias.png")
    os.symlink(".", root / "self")


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray for the module, as `lab` starts it (2 CPUs, no dashboard)."""
    import ray

    temp = tempfile.mkdtemp(prefix="lab-ray-test-")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR, _temp_dir=temp)
    yield ray
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = make_images(tmp_path_factory.mktemp("corpus") / "images", GOOD)
    make_hostile(root)
    return root


@pytest.fixture(scope="module")
def model(tmp_path_factory, folder) -> Path:
    """The tiny pipeline with its checker's concept and special-care embeddings made random and
    their first thresholds put between the test images' similarities (the others out of reach),
    so that about half the images are flagged and the special-care adjustment fires for a few."""
    tiny = open_model(None, need_safety=True)
    path = tmp_path_factory.mktemp("model") / "sd"
    shutil.copytree(tiny.path, path)
    checker = load_network(tiny.components["safety_checker"], path / "safety_checker", torch.float32)
    generator = torch.Generator().manual_seed(0)
    images = []
    for p in list_source(folder).files:
        try:
            images.append(CLIP_TRANSFORM(load_rgb(p)))
        except Unreadable:
            continue
    n = len(images)
    with torch.no_grad():
        embeds = checker.visual_projection(checker.vision_model(torch.stack(images))[1])
        for table, weights, rank in ((checker.concept_embeds, checker.concept_embeds_weights, n // 2),
                                     (checker.special_care_embeds,
                                      checker.special_care_embeds_weights, n - 4)):
            table.copy_(torch.randn(table.shape, generator=generator))
            first = cosine(embeds, table)[:, 0].sort().values
            weights.fill_(2.0)  # a cosine is at most 1
            weights[0] = (first[rank - 1] + first[rank]) / 2
    checker.save_pretrained(path / "safety_checker", safe_serialization=True)
    return path


@pytest.fixture(scope="module")
def checker(model):
    folder = open_model(str(model), need_safety=True)
    return load_network(folder.components["safety_checker"], model / "safety_checker", torch.float32)


def ray_run(source: Path, out: Path, model: Path, **settings) -> corpus.Outcome:
    settings = {"workers": 2, "batch_size": 4, "part_size": 6} | settings
    after_part = settings.pop("after_part", lambda written: None)
    return corpus.run(list_source(source), str(source), PartStore.open(out),
                      open_model(str(model), need_safety=True), corpus.Settings(**settings),
                      after_part=after_part)


@pytest.fixture(scope="module")
def reference(ray_session, folder, model, tmp_path_factory):
    """An uninterrupted Ray run over the folder: (outcome, its rows by path)."""
    out = tmp_path_factory.mktemp("reference")
    outcome = ray_run(folder, out, model)
    return outcome, {row["path_bytes"]: row for row in read_results(out / "safety")}


def test_score_gives_the_checkers_flags_and_the_plain_paths_scores(checker):
    clip = torch.randn(24, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    flags, concepts, special = score(checker, clip)
    _, expected_flags = checker(images=[x.numpy() for x in clip], clip_input=clip)
    with torch.no_grad():
        expected_concepts, expected_special = concept_scores(checker, clip)
    assert flags == expected_flags
    np.testing.assert_allclose(concepts, expected_concepts.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(special, expected_special.numpy(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("special, concept, flagged", [
    ([0.0004], [0.0004], False),  # both round to 0.0: nothing fires
    ([0.0006], [-0.009], True),  # special fires (0.001): +0.01 lifts the concept to 0.001
    ([0.0006], [-0.0106], False),  # lifted to -0.0006, rounded -0.001
    ([-0.5, 0.2], [-0.005], True),  # the second special fires
])
def test_forward_flags_round_to_three_decimals_and_adjust_after_a_special_concept(special, concept,
                                                                                  flagged):
    cos = lambda xs: np.array([xs], dtype=np.float32)  # noqa: E731 — thresholds 0: cos = score
    assert forward_flags(cos(special), cos(concept), [0.0] * len(special), [0.0]) == [flagged]


def test_ray_and_plain_paths_agree_on_the_same_folder(reference, folder, checker):
    _, rows = reference
    plain = plain_run(checker, folder, batch_size=4)
    checked = {os.fsencode(v.path): v for v in plain.verdicts}
    assert {p for p, r in rows.items() if r["status"] == "checked"} == set(checked)
    assert {p: r["reason"] for p, r in rows.items() if r["status"] == "unreadable"} == {
        os.fsencode(p): why for p, why in plain.skipped}
    flags = [checked[p].flagged for p in checked]
    assert 0 < sum(flags) < len(flags), "the test model should flag some images, not all"
    for path, verdict in checked.items():
        row = rows[path]
        assert row["flagged"] == verdict.flagged, path
        np.testing.assert_allclose(row["concept_scores"], verdict.concept_scores, rtol=0, atol=1e-5)
        np.testing.assert_allclose(row["special_scores"], verdict.special_scores, rtol=0, atol=1e-5)


def test_every_listed_entry_is_accounted_for_with_its_reason(reference, folder):
    outcome, rows = reference
    acc = outcome.accounting
    listed = list_source(folder)
    assert acc.listed == len(listed.files) + len(listed.skipped) == len(rows)
    assert acc.checked + acc.unreadable == acc.listed and acc.pending == 0
    assert acc.checked == GOOD + 1 and acc.unreadable == len(HOSTILE)
    reasons = {os.path.relpath(item["path"], folder): item["reason"] for item in acc.unreadable_files}
    assert set(reasons) == set(HOSTILE)
    for name, piece in HOSTILE.items():
        assert piece.lower() in reasons[name].lower(), (name, reasons[name])
    stored = json.loads((outcome.store.folder / ACCOUNTING).read_text())
    assert stored["complete"] and stored["balanced"] and stored["listed"] == acc.listed
    assert stored["flagged"] == sum(bool(r["flagged"]) for r in rows.values())
    assert os.fsdecode(b"bad\xff.png") in {os.path.basename(os.fsdecode(p)) for p in rows}


def test_an_interrupted_run_resumes_to_the_uninterrupted_result(reference, folder, model, tmp_path):
    out = tmp_path / "out"

    def stop_after_two(written: int) -> None:
        if written == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ray_run(folder, out, model, workers=1, after_part=stop_after_two)
    store = PartStore(out / "safety")
    kept = sorted(p.name for p in store.parts_folder.iterdir())
    assert len(kept) == 2
    stopped = json.loads((store.folder / ACCOUNTING).read_text())
    assert not stopped["complete"] and stopped["balanced"] and stopped["pending"] > 0
    # What a writer without temp + rename would leave: a part cut short under its final name, and
    # a stray temporary file. Neither may be trusted.
    listing = list_source(folder)
    fingerprint = corpus.model_fingerprint(open_model(str(model), need_safety=True), "float32")
    parts = plan(listing.entries(), 6, fingerprint)
    missing = next(p for p in parts if p.name not in kept)
    whole = (reference[0].store.parts_folder / missing.name).read_bytes()
    (store.parts_folder / missing.name).write_bytes(whole[: len(whole) // 2])
    (store.parts_folder / f".{missing.name}.tmp-0000").write_bytes(whole[:100])

    resumed = ray_run(folder, out, model, workers=1)
    acc = resumed.accounting
    assert acc.complete and acc.balanced
    assert (acc.parts_reused, acc.parts_written) == (2, len(parts) - 2)
    assert sorted(p.name for p in store.parts_folder.iterdir()) == sorted(p.name for p in parts)
    rows = {row["path_bytes"]: row for row in read_results(store.folder)}
    _, expected = reference
    assert rows.keys() == expected.keys()
    for path, row in rows.items():
        want = expected[path]
        assert (row["status"], row["reason"], row["flagged"]) == (
            want["status"], want["reason"], want["flagged"]), path
        if row["status"] == "checked":
            np.testing.assert_allclose(row["concept_scores"], want["concept_scores"], atol=1e-5)


def test_a_list_file_through_the_command_line(ray_session, folder, model, tmp_path, capsys):
    here = tmp_path / "listed"
    (here / "sub").mkdir(parents=True)
    for name in ("img01.png", "img02.png", "img04.png", "empty.png"):
        shutil.copy(folder / name, here / name)
    lines = ["img01.png", "img02.png", f"{here}/img04.png", "", "img01.png", "missing.png", "sub",
             "empty.png", f"{here}/img02.png", "./img01.png"]
    source = here / "list.txt"
    source.write_bytes(b"\r\n".join(os.fsencode(p) for p in lines) + b"\n")
    args = ["sd", "safety", str(source), "--engine", "ray", "--out", str(tmp_path / "out"),
            "--model", str(model), "--workers", "1", "--part-size", "3"]
    assert main([*args, "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert "note: 2 repeated lines of" in captured.err  # img01.png, and img02.png by its full path
    assert (data["listed"], data["checked"], data["unreadable"]) == (7, 3, 4)
    jsonschema.validate(data, schemas.load("lab.sd.safety"))  # the plain engine's shape
    assert (data["engine"], data["images"], data["ray"]["parts_written"]) == ("ray", None, 3)
    rows = read_results(tmp_path / "out" / "safety")
    assert len({r["path"] for r in rows}) == len(rows) == 7  # one row per path
    reasons = {os.path.basename(i["path"]): i["why"] for i in data["skipped"]}
    assert reasons == {"img01.png": f"the same file as {here / 'img01.png'}",
                       "missing.png": "cannot follow (No such file or directory)",
                       "sub": "a folder (a list file names image files)",
                       "empty.png": "not an image format PIL reads"}
    # A rerun finds every part done: no Ray job, the same accounting, printed for people.
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "7 listed = 3 checked + 4 unreadable" in text and "3 of them from an earlier run" in text
    assert f"unreadable {here / 'missing.png'}: cannot follow" in text


@pytest.mark.parametrize("args, piece", [
    (["--address", "auto"], "--address needs --engine ray"),
    (["--workers", "2"], "--workers needs --engine ray"),
    (["--engine", "ray", "--workers", "0"], "--workers 0: must be at least 1"),
    (["--engine", "ray", "--part-size", "0"], "--part-size 0: must be at least 1"),
    (["--engine", "ray", "--batch-size", "0"], "--batch-size 0: must be at least 1"),
    (["--engine", "ray", "--workers", "3"], "--workers 3: this Ray has 2 CPUs, one per worker"),
    (["--engine", "ray", "--address", "localhost"], "--address localhost: expected host:port"),
    (["--engine", "ray", "--address", "127.0.0.1:1"], "cannot reach 127.0.0.1:1"),
])
def test_options_are_checked_before_ray_starts(monkeypatch, folder, tmp_path, capsys, args, piece):
    monkeypatch.setattr(corpus.RaySession, "ensure", lambda self: pytest.fail("Ray was started"))
    assert main(["sd", "safety", str(folder), "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and piece in err, err


@pytest.fixture
def not_ray(request):
    """A local port where a server that is not Ray listens: it says nothing (None), closes at
    once (b""), or answers as HTTP/1.1 does; the port's number."""
    reply, stop = request.param, threading.Event()
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            if reply is not None:
                connection.recv(64)
                connection.sendall(reply)
            if reply != b"":
                stop.wait(30)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


@pytest.mark.parametrize("not_ray", [None, b"", b"HTTP/1.1 400 Bad Request\r\n\r\n"],
                         ids=["silent", "closes", "http"], indirect=True)
def test_an_address_where_something_else_listens_is_refused(monkeypatch, folder, tmp_path, capsys,
                                                           not_ray):
    monkeypatch.setattr(raysession, "CONNECT_TIMEOUT_S", 1.0)
    monkeypatch.setattr(corpus.RaySession, "ensure", lambda self: pytest.fail("Ray was started"))
    assert main(["sd", "safety", str(folder), "--engine", "ray", "--address",
                 f"127.0.0.1:{not_ray}", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"127.0.0.1:{not_ray} is not a Ray head" in err, err


def test_the_address_check_knows_a_ray_head(ray_session):
    """The greeting that refuses other servers is answered by Ray's own GCS."""
    raysession.check_address(ray_session.get_runtime_context().gcs_address)


@pytest.mark.parametrize("make, engine, piece", [
    (lambda p: p.write_text("a.png\n"), "plain", "a list file of paths is read by --engine ray"),
    (lambda p: None, "ray", "cannot read it (No such file or directory)"),
    (lambda p: p.mkdir(), "ray", "names no files"),
    (lambda p: p.write_bytes(b"\x89PNG\0\0"), "ray", "binary data"),
    (lambda p: os.mkfifo(p), "ray", "neither a folder nor a list file"),
])
def test_a_bad_source_is_one_line(monkeypatch, tmp_path, capsys, make, engine, piece):
    monkeypatch.setattr(corpus.RaySession, "ensure", lambda self: pytest.fail("Ray was started"))
    source = tmp_path / "source"
    make(source)
    assert main(["sd", "safety", str(source), "--engine", engine, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and piece in err, err


def test_parts_are_keyed_by_their_paths_their_files_and_the_model(tmp_path):
    entries = [(f"/x/{i}.png", f"{100 + i}:1:1:{i}") for i in range(7)]
    a, b = plan(entries, 3, "model a"), plan(entries, 3, "model b")
    assert [len(p.paths) for p in a] == [3, 3, 1] and [p.start for p in a] == [0, 3, 6]
    assert [p.paths for p in a] == [[f"/x/{i}.png" for i in chunk] for chunk in ([0, 1, 2],
                                                                                [3, 4, 5], [6])]
    assert [p.name for p in a] == [p.name for p in plan(entries, 3, "model a")]
    assert not {p.name for p in a} & {p.name for p in b}
    assert plan(entries[:6] + [("/x/other.png", "1:1:1:1")], 3, "model a")[:2] == a[:2]
    changed = plan(entries[:4] + [("/x/4.png", "5:2:2:4")] + entries[5:], 3, "model a")
    assert (changed[0], changed[2]) == (a[0], a[2]) and changed[1].name != a[1].name
    skipped = plan(entries[:6] + [("/x/6.png", "skipped: a named pipe")], 3, "model a")
    assert skipped[2].name != a[2].name


def test_a_files_identity_changes_with_its_content(tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(b"x" * 100)
    listed = list_source(tmp_path).entries()
    assert list_source(tmp_path).entries() == listed  # unchanged: the same key
    os.utime(image, ns=(1, 1))  # the same bytes, other times (as `cp -p` of another file gives)
    before = list_source(tmp_path).entries()
    assert before != listed
    image.write_bytes(b"y" * 50)  # truncated in place
    assert list_source(tmp_path).entries() != before


def test_a_rerun_checks_again_the_files_that_changed(ray_session, folder, model, tmp_path):
    source = tmp_path / "images"
    source.mkdir()
    for name in sorted(n for n in os.listdir(folder) if n.startswith("img"))[:8]:
        shutil.copy(folder / name, source / name)
    first = ray_run(source, tmp_path / "out", model, part_size=3)
    assert first.accounting.checked == 8 and first.accounting.complete
    names = sorted(os.listdir(source))
    data = (source / names[0]).read_bytes()
    (source / names[0]).write_bytes(data[: len(data) // 3])  # truncated
    (source / names[1]).write_text("no longer an image")
    again = ray_run(source, tmp_path / "out", model, part_size=3)
    acc = again.accounting
    assert (acc.parts_reused, acc.parts_written) == (2, 1)
    assert (acc.checked, acc.unreadable) == (6, 2) and acc.complete and acc.balanced
    rows = {os.path.basename(r["path"]): r for r in read_results(tmp_path / "out" / "safety")}
    assert len(rows) == 8 and rows[names[1]]["reason"] == "not an image format PIL reads"
    assert rows[names[0]]["status"] == "unreadable" and rows[names[2]]["status"] == "checked"


def test_one_run_at_a_time_per_out(monkeypatch, folder, model, tmp_path, capsys):
    monkeypatch.setattr(corpus.RaySession, "ensure", lambda self: pytest.fail("Ray was started"))
    out = tmp_path / "out"
    store = PartStore.open(out)
    with store.locked():  # another run, here or elsewhere, writing into the same --out
        (store.parts_folder / "part-000000-0123456789abcdef.parquet").write_bytes(b"its part")
        assert main(["sd", "safety", str(folder), "--engine", "ray", "--out", str(out), "--model",
                     str(model)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is being written by lab (process" in err, err
        assert os.listdir(store.parts_folder) == ["part-000000-0123456789abcdef.parquet"]
    with store.locked():  # taken again once the first run let go
        pass


@pytest.mark.parametrize("out, piece", [("", "--out is empty"), ("SOURCE", "is inside"),
                                        ("SOURCE/results", "is inside")])
def test_out_inside_the_source_or_empty_is_refused(monkeypatch, tmp_path, capsys, out, piece):
    monkeypatch.setattr(corpus.RaySession, "ensure", lambda self: pytest.fail("Ray was started"))
    source = make_images(tmp_path / "images", 3)
    monkeypatch.chdir(tmp_path)
    out = out.replace("SOURCE", str(source))
    assert main(["sd", "safety", str(source), "--engine", "ray", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and piece in err, err
    assert sorted(os.listdir(tmp_path)) == ["images"]
    assert not (source / "safety").exists() and not (source / "results").exists()


def test_help_and_argument_errors_do_not_import_ray():
    code = ("import sys; from lab.cli import main\n"
            "try:\n    main(['sd', 'safety', '--help'])\nexcept SystemExit:\n    pass\n"
            "try:\n    main(['sd', 'safety', '.', '--engine', 'nope'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('ray', 'torch') if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


# `lab` in a child process with Ctrl-C restored (a shell running the tests in the background
# ignores SIGINT, and children inherit that), whose checker sleeps per batch so that the run is
# still going when the first part is written. cloudpickle ships the class defined here by value.
SLOW_LAB = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
import lab.diffusion.corpus_worker as worker

class Slow(worker.CheckerWorker):
    def __call__(self, batch):
        time.sleep(0.5)
        return super().__call__(batch)

worker.CheckerWorker = Slow
from lab.cli import main
sys.exit(main())
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_stops_a_local_run_in_one_line_leaving_only_whole_parts(model, tmp_path, signum):
    source = make_images(tmp_path / "many", 40, seed=3)
    out = tmp_path / "out"
    temp = Path(tempfile.mkdtemp(prefix="t", dir="/tmp"))  # Ray's sockets need a short path
    # What a run killed outright leaves: its Ray folder, whose lock nobody holds any more.
    (temp / "lab-ray-k1lled00").mkdir()
    (temp / "lab-ray-k1lled00" / "lab.lock").write_text("")
    (temp / "lab-ray-k1lled00" / "session_latest").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {"TMPDIR": str(temp)}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_LAB, "sd", "safety", str(source), "--engine",
                             "ray", "--out", str(out), "--model", str(model), "--workers", "1",
                             "--batch-size", "4", "--part-size", "8", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_until(lambda: any((out / "safety" / "parts").glob("part-*.parquet")), proc,
                   "a first part written")
        proc.send_signal(signum)
        printed, err = proc.communicate(timeout=120)
        left = os.listdir(temp)
    finally:
        proc.kill()
        shutil.rmtree(temp, ignore_errors=True)
    assert proc.returncode == 130, err.decode()
    assert err.decode().splitlines()[-1] == "lab sd: interrupted"
    assert "Aborted" not in err.decode() and "Traceback" not in err.decode()
    assert printed.strip() == b"" or json.loads(printed)  # under --json: JSON or nothing
    assert left == []  # Ray stopped, its temporary folder and the killed run's removed
    stopped = json.loads((out / "safety" / ACCOUNTING).read_text())
    assert not stopped["complete"] and stopped["balanced"] and stopped["pending"] > 0
    # Every file left is a part a rerun trusts (whole, and named for these files and this model).
    listing = list_source(source)
    fingerprint = corpus.model_fingerprint(open_model(str(model), need_safety=True), "float32")
    parts = {p.name: p for p in plan(listing.entries(), 8, fingerprint)}
    store = PartStore(out / "safety")
    left_parts = [parts[f.name] for f in store.parts_folder.iterdir()]
    assert len(left_parts) == stopped["parts_written"] >= 1
    assert all(store.finished(p) for p in left_parts)


def _bench_data(store_s: float) -> dict:
    """A throughput record as lab.report.bench_safety writes it, with chosen numbers."""
    def rates(steady: float, run_s: float) -> dict:
        return {"images": 1000, "run_s": run_s, "first_results_s": 1.0,
                "images_per_s": 1000 / run_s, "steady_images_per_s": steady}

    return {
        "date": "2026-01-01", "machine": "test machine", "mode": "quick", "batch_size": 10,
        "versions": {"torch": "t", "ray": "r", "pyarrow": "p"}, "ray_start_s": 3.0,
        "threads": {"cpu_count": 2, "torch_intra_op_threads": 2}, "load_average_1min": [1.0, 2.0],
        "plain": [rates(300, 3.5) | {"torch_threads": 1}, rates(400, 2.6) | {"torch_threads": 2}],
        "ray": [rates(250, 9.0) | {"workers": 1}, rates(450, 7.0) | {"workers": 2}],
        "plan_inputs": {"decode_small_s": 2e-4, "preprocess_small_s": 6e-4, "tiny_model_batch_s": 5e-3,
                        "decode_512_jpeg_s": 1.5e-3, "preprocess_512_s": 1.5e-3,
                        "listing_s_per_entry": 4e-6, "bytes_per_image_uint8": 150528,
                        "bytes_per_image_fp16": 301056, "v14_flops_per_image": 1.62e11,
                        "v14_cpu_image_s": 0.8, "driver_part_write_s": 0.002, "part_rows": 500,
                        "object_store_batch_s": store_s},
    }


def test_the_throughput_page_states_what_its_numbers_give(tmp_path):
    from lab.report.bench_safety import figure, page, per_gpu

    text = page(_bench_data(store_s=0.0002), "f.png")
    assert "2 Ray workers reach 1.80× the rate of one, and 1.50× the one-thread plain" in text
    assert "fastest: Ray Data, 2 workers (450 images/s steady)" in text
    assert f"{per_gpu(_bench_data(0.001)['plan_inputs'], 150)['images_per_s']:,.0f} |" in text
    assert "7,526 MB/s through the object store on one node here (enough for 8 GPUs" in text
    slow = page(_bench_data(store_s=0.1), "f.png")
    assert "15 MB/s through the object store on one node here (not enough for 8 GPUs" in slow
    assert figure(_bench_data(0.001), tmp_path, "f.png") == "f.png"
    assert (tmp_path / "f.png").stat().st_size > 1000
