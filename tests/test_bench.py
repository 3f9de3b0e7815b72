"""The timing harness, and sweeps run at tiny sizes writing valid records and pages (no timing
asserts): each ratio is taken against the program in the row's own library, named in the record."""

import json

import numpy as np

from lab.bench import records
from lab.bench.harness import measure, threads_sentence
from lab.bench.labels import method_label
from lab.bench.primals import primal_name
from lab.report import bench_summary


def test_measure_repeats_and_reports_spread():
    calls = []
    t = measure("sum", 10, lambda v: calls.append(1) or np.sum(v), np.ones(10), min_repeats=7,
                min_time=0.0)
    assert t.repeats >= 7 and len(calls) >= t.repeats + 2  # first call + warm-up apart
    assert 0 < t.min_s <= t.median_s and t.iqr_s >= 0 and t.peak_bytes is not None
    assert t.memory_source == "tracemalloc"


def test_each_rows_primal_is_its_own_librarys_program():
    assert primal_name(method_label("torch.func.jacrev")) == "program on torch tensors"
    assert primal_name(method_label("torch.compile")) == "torch.compile(program)"
    assert primal_name(method_label("jax.jit")) == "jax.jit(program)"
    assert primal_name(method_label("jax.grad")) == "program on JAX arrays (no jit)"
    assert primal_name(method_label("tape.reverse")) == "program on numpy arrays"


def test_the_thread_sentence_says_what_was_set():
    assert "no thread variable was set" in threads_sentence(
        {"cpu_count": 4, "torch_intra_op_threads": 4})
    said = threads_sentence({"cpu_count": 4, "torch_intra_op_threads": 1, "OMP_NUM_THREADS": "1"})
    assert "torch used 1 intra-op threads" in said and "OMP_NUM_THREADS=1" in said


def test_tiny_sweeps_write_records_pages_and_plots(tmp_path):
    plan = {"softmax_jacobian": {"sizes": [4]}, "loss_gradients": {"sizes": [10]}}
    results = bench_summary.run_all(tmp_path, plan=plan, budget_s=0.2,
                                    backends=["tape", "torch.autograd", "jax.jit"])
    assert {r.name for r in results} == {"softmax_jacobian", "ce_gradient", "se_gradient"}
    for r in results:
        data = json.loads((tmp_path / f"{r.name}.json").read_text())
        assert data["dtype"] == "float64" and data["environment"]["cores"] >= 1
        assert data["timings"] and all(t["repeats"] >= 3 for t in data["timings"])
        assert (tmp_path / f"{r.name}.png").read_bytes()[:4] == b"\x89PNG"
        assert f"({r.name}.png)" in (tmp_path / f"{r.name}.md").read_text()
    ce = json.loads((tmp_path / "ce_gradient.json").read_text())
    assert {t["method"] for t in ce["timings"]} == {"closed form p − y", "tape.reverse",
                                                    "tape recording pass", "torch.autograd", "jax.jit"}
    assert ce["primal_of"]["torch.autograd"] == "program on torch tensors"
    assert ce["primal_of"]["jax.jit"] == "jax.jit(program)"
    assert set(ce["primal"]) == {"program on numpy arrays", "program on torch tensors",
                                 "jax.jit(program)"}
    assert all(t["ratio_to_primal"] for t in ce["timings"])
    assert "sympy.lambdify" in ce["stopped"] and "vector point" in ce["stopped"]["sympy.lambdify"]
    assert {t["memory_source"] for t in ce["timings"]} >= {"tracemalloc", "torch profiler"}
    verdicts = [t["decision"]["verdict"] if t["decision"] else "not judged" for t in ce["targets"]]
    assert len(verdicts) == 3 and set(verdicts) <= {"met", "missed", "inconclusive", "not judged"}
    assert any("backward pass" in t["target"] for t in ce["targets"])
    summary = (tmp_path / "README.md").read_text()
    assert "Performance targets" in summary and "tape within 2×" in summary
    state = records.fresh(tmp_path)
    assert not state.stale and set(state.missing) == set(records.QUICK) - set(plan)
