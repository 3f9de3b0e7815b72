"""One JSON per sweep: a partial run keeps the other sweeps' results, the summary is rebuilt from
every sweep present, freshness is judged per sweep, missed targets are explained from the run's
numbers, and a sweep on a busy machine is marked noisy and not judged. Synthetic results keep these
tests fast; one real partial run (numpy backends only) checks run_all itself."""

import json

import pytest

from lab.bench import records
from lab.bench.harness import Decision, Timing
from lab.bench.labels import Label, baseline_label, closed_form_label, method_label
from lab.bench.runner import SweepResult, TargetResult
from lab.bench.targets import _decide, targets_of
from lab.errors import LabError
from lab.report import bench_summary

FLOOR, CLOSED = "write-floor (fill n×n)", "closed form diag(p) − ppᵀ"
QUIET = {"load_before": 0.1, "load_after": 0.2, "cores": 2, "cpu_model": "test CPU",
         "threads": {"cpu_count": 2, "torch_intra_op_threads": 1, "OMP_NUM_THREADS": "1"},
         "noisy": False}


def _timing(method: str, size: int, median: float, peak: int | None = None) -> Timing:
    return Timing(method, size, median, 0.0, median, median, median / 10, 5, peak,
                  "tracemalloc" if peak is not None else None)


def _softmax_result(closed: float = 6e-3, best: float = 1e-3) -> SweepResult:
    r = SweepResult("softmax_jacobian", "Softmax Jacobian (n×n)", "n", "softmax_jacobian")
    r.timings = [_timing(FLOOR, 1024, 4e-4, 8 << 20), _timing(CLOSED, 1024, closed, 24 << 20),
                 _timing("jax.jacfwd", 1024, best, 8 << 20)]
    r.labels = {FLOOR: baseline_label(FLOOR), CLOSED: closed_form_label("diag(p) − ppᵀ"),
                "jax.jacfwd": method_label("jax.jacfwd")}
    r.labels[CLOSED] = Label("numpy", "closed form", CLOSED, "closed form")
    r.primal_of = {k: "program on numpy arrays" for k in r.labels}
    r.groups = {1024: ""}
    r.environment = dict(QUIET)
    return r


def _missed(r: SweepResult, median: float) -> TargetResult:
    d = Decision("missed", 2.0, median, median * 0.95, median * 1.05, 20, 0.9, 1.0)
    return TargetResult(r.name, "softmax Jacobian n = 1024 within 2× of the write-floor",
                        "jax.jacfwd", FLOOR, 1024, d)


def test_labels_are_typed_and_come_from_the_registry():
    assert method_label("torch.func.jacfwd") == Label("torch", "forward", "torch.func.jacfwd")
    assert method_label("tape.reverse").mode == "reverse"
    assert method_label("sympy.lambdify").mode == "symbolic"
    assert method_label("finite.central").mode == "numerical"
    r = _softmax_result()
    assert [t.method for t in r.rows_where(library="jax")] == ["jax.jacfwd"]
    assert [t.method for t in r.rows_where(mode="baseline")] == [FLOOR]


def test_why_is_computed_from_the_run_and_changes_with_it():
    r = _softmax_result(closed=6e-3)
    why = bench_summary.explain(r, _missed(r, 2.5))
    assert "15.00× the floor" in why  # 6 ms / 0.4 ms
    assert "24 MiB" in why and "8 MiB" in why and "3.0× write-floor" in why  # same counter
    other = _softmax_result(closed=2e-3)
    assert "5.00× the floor" in bench_summary.explain(other, _missed(other, 2.5))


def test_the_confidence_level_is_the_decisions_not_typed():
    r = _softmax_result()
    unsure = _missed(r, 2.0)
    unsure.decision.verdict = "inconclusive"
    assert "the 90% interval straddles 2 after 20 pairs" in bench_summary.explain(r, unsure)
    unsure.decision.confidence = 0.99
    assert "the 99% interval" in bench_summary.explain(r, unsure)


def test_a_busy_machine_marks_the_sweep_noisy_and_judges_no_target(tmp_path):
    r = _softmax_result()
    r.environment = dict(QUIET, load_before=3.5, load_after=1.0, noisy=True)
    [target] = targets_of(r.name)
    decided = _decide(r, target, "jax.jacfwd", FLOOR, 1024, 0.1)
    assert decided.decision is None and decided.verdict == "not judged"
    assert "load average was 3.50 before and 1.00 after" in decided.why
    r.targets = [decided]
    _write(r, tmp_path)
    page = (tmp_path / "softmax_jacobian.md").read_text()
    assert "**noisy**" in page and "3.50 before" in page and "test CPU" in page
    assert "OMP_NUM_THREADS=1" in page and "torch used 1 intra-op threads" in page
    assert "| not judged |" in (tmp_path / "README.md").read_text()


def _write(r: SweepResult, out):
    out.mkdir(exist_ok=True)
    records.prepare(out)
    (out / f"{r.name}.json").write_text(json.dumps(records.record(r, "quick")))
    return bench_summary.write_pages(out)


def test_freshness_is_judged_per_sweep(tmp_path):
    r = _softmax_result()
    r.targets = [_missed(r, 2.5)]
    _write(r, tmp_path)
    state = records.fresh(tmp_path)
    assert state.fresh == ["softmax_jacobian"] and not state.stale
    assert set(state.missing) == set(records.QUICK) - {"softmax_jacobian"}
    assert not state and set(state.to_run) == set(state.missing)

    data = json.loads((tmp_path / "softmax_jacobian.json").read_text())
    data["versions"]["torch"] = "0.0"
    (tmp_path / "softmax_jacobian.json").write_text(json.dumps(data))
    state = records.fresh(tmp_path)
    assert "torch 0.0" in state.stale["softmax_jacobian"] and "softmax_jacobian" in state.to_run
    summary = bench_summary.rebuild(tmp_path).read_text()
    assert "no: measured with torch 0.0" in summary
    assert "| missed |" in summary  # the stale sweep's target is still shown, marked by its row
    assert "(90% interval)" in summary


def test_the_record_round_trips():
    r = _softmax_result()
    r.targets = [_missed(r, 2.5)]
    back = records.result_of(json.loads(json.dumps(records.record(r, "quick"))))
    assert back.labels == r.labels and back.primal_of == r.primal_of
    assert [t.median_s for t in back.timings] == [t.median_s for t in r.timings]
    assert back.targets[0].decision == r.targets[0].decision


def test_results_in_an_older_format_or_unreadable_are_stale(tmp_path):
    (tmp_path / "symbolic_nested.json").write_text(json.dumps(
        {"sweep": "symbolic_nested", "versions": records.versions(), "timings": []}))
    (tmp_path / "ce_gradient.json").write_text('{"sweep": "ce_gr')
    (tmp_path / "sd_pipeline.json").write_text(json.dumps({"device": "cpu"}))  # not a sweep
    state = records.fresh(tmp_path)
    assert "older lab" in state.stale["symbolic"]
    assert "loss_gradients" in state.stale and "sd_pipeline" not in str(state)


def test_a_partial_run_keeps_the_other_sweeps(tmp_path):
    r = _softmax_result()
    r.targets = [_missed(r, 2.5)]
    _write(r, tmp_path)
    before = (tmp_path / "softmax_jacobian.json").read_bytes()
    results = bench_summary.run_all(tmp_path, only=["symbolic"], backends=["sympy"],
                                    plan={"symbolic": {"sizes": [2], "nested": [1]}})
    assert {x.name for x in results} == {"symbolic_polynomial", "symbolic_nested"}
    assert (tmp_path / "softmax_jacobian.json").read_bytes() == before
    summary = (tmp_path / "README.md").read_text()
    for name in ("softmax_jacobian", "symbolic_polynomial", "symbolic_nested"):
        assert f"({name}.md)" in summary
    assert "softmax Jacobian n = 1024 within 2× of the write-floor" in summary
    assert set(records.fresh(tmp_path).fresh) == {"softmax_jacobian", "symbolic"}
    data = json.loads((tmp_path / "symbolic_nested.json").read_text())
    env = data["environment"]
    assert {"load_before", "load_after", "cpu_model", "threads", "noisy"} <= set(env)
    assert data["labels"]["sympy.lambdify"] == {"library": "sympy", "mode": "symbolic",
                                                "engine": "sympy.lambdify", "origin": "registry"}


def test_a_folder_of_other_files_is_refused_before_any_work(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(LabError):
        bench_summary.run_all(tmp_path, only=["symbolic"], plan={"symbolic": {"sizes": [2],
                                                                              "nested": [1]}})
    assert not (tmp_path / "README.md").exists()
