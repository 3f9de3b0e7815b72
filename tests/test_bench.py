"""The timing harness and the sweeps run at tiny sizes and write valid JSON (no timing asserts)."""

import json

import numpy as np

from lab.bench.harness import measure
from lab.bench.summary import QUICK, fresh, run_all


def test_measure_repeats_and_reports_spread():
    calls = []
    t = measure("sum", 10, lambda v: calls.append(1) or np.sum(v), np.ones(10), min_repeats=7,
                min_time=0.0)
    assert t.repeats >= 7 and len(calls) >= t.repeats + 2  # first call + warm-up apart
    assert 0 < t.min_s <= t.median_s and t.iqr_s >= 0 and t.peak_bytes is not None
    assert t.memory_source == "tracemalloc"


def test_tiny_sweeps_write_json_markdown_and_plots(tmp_path):
    plan = {"softmax_jacobian": {"sizes": [4]}, "loss_gradients": {"sizes": [10]},
            "symbolic": {"sizes": [2], "nested": [1]}}
    results = run_all(tmp_path, plan=plan, budget_s=0.2)
    assert {r.name for r in results} == {"softmax_jacobian", "ce_gradient", "se_gradient",
                                         "symbolic_polynomial", "symbolic_nested"}
    for r in results:
        data = json.loads((tmp_path / f"{r.name}.json").read_text())
        assert data["dtype"] == "float64" and data["threads"]["cpu_count"] >= 1
        assert data["timings"] and all(t["repeats"] >= 3 for t in data["timings"])
        assert (tmp_path / f"{r.name}.png").read_bytes()[:4] == b"\x89PNG"
        assert f"({r.name}.png)" in (tmp_path / f"{r.name}.md").read_text()
    ce = json.loads((tmp_path / "ce_gradient.json").read_text())
    assert any(t["ratio_to_primal"] for t in ce["timings"])
    assert {t["memory_source"] for t in ce["timings"]} >= {"tracemalloc", "torch profiler",
                                                           "XLA plan"}
    verdicts = [t["decision"]["verdict"] for t in ce["targets"]]
    assert len(verdicts) == 2 and set(verdicts) <= {"met", "missed", "inconclusive"}
    summary = (tmp_path / "README.md").read_text()
    assert "Performance targets" in summary and "tape within 2×" in summary
    state = fresh(tmp_path)
    assert not state.stale and set(state.missing) == set(QUICK) - set(plan)
