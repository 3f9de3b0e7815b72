"""One JSON per sweep: a partial run keeps the other sweeps' results, the summary is rebuilt from
every sweep present, freshness is judged per sweep, and missed targets are explained from the run's
numbers. Synthetic results keep these tests fast; one real partial run checks run_all itself."""

import json

import pytest

from lab.bench import summary as benchreport
from lab.bench.harness import Decision, Timing
from lab.bench.sweeps import SweepResult, TargetResult
from lab.errors import LabError


def _timing(method: str, size: int, median: float, peak: int | None = None) -> Timing:
    return Timing(method, size, median, 0.0, median, median, median / 10, 5, peak,
                  "tracemalloc" if peak is not None else None)


def _softmax_result(closed: float = 6e-3, best: float = 1e-3) -> SweepResult:
    r = SweepResult("softmax_jacobian", "Softmax Jacobian (n×n)", "n", "softmax_jacobian")
    r.timings = [_timing("write-floor (fill n×n)", 1024, 4e-4, 8 << 20),
                 _timing("closed form diag(p) − ppᵀ", 1024, closed, 24 << 20),
                 _timing("JAX jit(jacfwd)", 1024, best, 8 << 20)]
    r.library_of = {"write-floor (fill n×n)": "numpy", "closed form diag(p) − ppᵀ": "numpy",
                    "JAX jit(jacfwd)": "jax"}
    r.groups = {1024: ""}
    return r


def _missed(r: SweepResult, median: float) -> TargetResult:
    d = Decision("missed", 2.0, median, median * 0.95, median * 1.05, 20, 0.95, 1.0)
    return TargetResult(r.name, "softmax Jacobian n = 1024 within 2× of the write-floor",
                        "JAX jit(jacfwd)", "write-floor (fill n×n)", 1024, d)


def test_why_is_computed_from_the_run_and_changes_with_it():
    r = _softmax_result(closed=6e-3)
    why = benchreport.explain(r, _missed(r, 2.5))
    assert "15.00× the floor" in why  # 6 ms / 0.4 ms
    assert "24 MiB" in why and "8 MiB" in why and "3.0× write-floor" in why  # same counter
    other = _softmax_result(closed=2e-3)
    assert "5.00× the floor" in benchreport.explain(other, _missed(other, 2.5))


def test_a_met_target_needs_no_explanation_and_inconclusive_says_so():
    r = _softmax_result()
    met = _missed(r, 1.5)
    met.decision.verdict = "met"
    assert benchreport.explain(r, met) == ""
    unsure = _missed(r, 2.0)
    unsure.decision.verdict = "inconclusive"
    assert "straddles 2 after 20 pairs" in benchreport.explain(r, unsure)


def test_problems_of_different_shapes_are_separate_series():
    r = SweepResult("ce_gradient", "CE", "batch", "loss_gradients")
    r.timings = [_timing("torch autograd", n, 1e-3 * n) for n in (10, 100, 1000)]
    r.groups = {10: "10 classes", 100: "1000 classes", 1000: "1000 classes"}
    lines = benchreport.series(r)
    assert set(lines) == {("torch autograd", "10 classes"), ("torch autograd", "1000 classes")}
    assert [t.size for t in lines[("torch autograd", "1000 classes")]] == [100, 1000]


def _write(r: SweepResult, out):
    out.mkdir(exist_ok=True)
    benchreport.write(r, out)
    return benchreport.rebuild(out)


def test_freshness_is_judged_per_sweep(tmp_path):
    r = _softmax_result()
    r.targets = [_missed(r, 2.5)]
    _write(r, tmp_path)
    state = benchreport.fresh(tmp_path)
    assert state.fresh == ["softmax_jacobian"] and not state.stale
    assert set(state.missing) == set(benchreport.QUICK) - {"softmax_jacobian"}
    assert not state and set(state.to_run) == set(state.missing)

    data = json.loads((tmp_path / "softmax_jacobian.json").read_text())
    data["versions"]["torch"] = "0.0"
    (tmp_path / "softmax_jacobian.json").write_text(json.dumps(data))
    state = benchreport.fresh(tmp_path)
    assert "torch 0.0" in state.stale["softmax_jacobian"] and "softmax_jacobian" in state.to_run
    summary = (benchreport.rebuild(tmp_path)).read_text()
    assert "no: measured with torch 0.0" in summary
    assert "| missed |" in summary  # the stale sweep's target is still shown, marked by its row


def test_results_in_an_older_format_or_unreadable_are_stale(tmp_path):
    (tmp_path / "symbolic_nested.json").write_text(json.dumps(
        {"sweep": "symbolic_nested", "versions": benchreport.versions(), "timings": []}))
    (tmp_path / "ce_gradient.json").write_text('{"sweep": "ce_gr')
    (tmp_path / "sd_pipeline.json").write_text(json.dumps({"device": "cpu"}))  # not a sweep
    state = benchreport.fresh(tmp_path)
    assert "older lab" in state.stale["symbolic"]
    assert "loss_gradients" in state.stale and "sd_pipeline" not in str(state)


def test_a_partial_run_keeps_the_other_sweeps(tmp_path):
    r = _softmax_result()
    r.targets = [_missed(r, 2.5)]
    _write(r, tmp_path)
    before = (tmp_path / "softmax_jacobian.json").read_bytes()
    results = benchreport.run_all(tmp_path, only=["symbolic"],
                                  plan={"symbolic": {"sizes": [2], "nested": [1]}})
    assert {x.name for x in results} == {"symbolic_polynomial", "symbolic_nested"}
    assert (tmp_path / "softmax_jacobian.json").read_bytes() == before
    summary = (tmp_path / "README.md").read_text()
    for name in ("softmax_jacobian", "symbolic_polynomial", "symbolic_nested"):
        assert f"({name}.md)" in summary
    assert "softmax Jacobian n = 1024 within 2× of the write-floor" in summary
    assert set(benchreport.fresh(tmp_path).fresh) == {"softmax_jacobian", "symbolic"}


def test_a_folder_of_other_files_is_refused_before_any_work(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(LabError):
        benchreport.run_all(tmp_path, only=["symbolic"], plan={"symbolic": {"sizes": [2],
                                                                            "nested": [1]}})
    assert not (tmp_path / "README.md").exists()
