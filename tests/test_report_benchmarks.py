"""`lab report` reruns only the benchmark sweeps that are missing or stale, and never with --quick;
it reaches them through `lab.report.bench_summary` (the pages' module), whose names it uses."""

from types import SimpleNamespace

import pytest

from lab.report import bench_links, bench_summary, run_stale_benchmarks


@pytest.fixture
def calls(monkeypatch):
    """Record run_all's calls; the folder's state says the polynomial sweep is stale."""
    made = []
    monkeypatch.setattr(bench_summary, "fresh", lambda out: SimpleNamespace(to_run=["polynomial"]))
    monkeypatch.setattr(bench_summary, "steps", lambda full=False, only=None: len(only or ()))

    def run_all(out, only=None, advance=lambda: None, **kwargs):
        made.append((out, only))
        out.mkdir(parents=True, exist_ok=True)
        (out / "README.md").write_text("# Benchmarks\n")

    monkeypatch.setattr(bench_summary, "run_all", run_all)
    return made


def test_the_report_uses_the_names_the_pages_module_offers():
    assert {"fresh", "steps", "run_all", "load", "check_out"} <= set(dir(bench_summary))


def test_only_the_stale_sweeps_are_rerun(tmp_path, calls):
    run_stale_benchmarks(tmp_path / "bench", quick=False)
    assert calls == [(tmp_path / "bench", ["polynomial"])]
    assert "bench/README.md" in bench_links(tmp_path)[0]


def test_quick_never_runs_a_sweep(tmp_path, calls):
    run_stale_benchmarks(tmp_path / "bench", quick=True)
    assert calls == []
    link, missing = bench_links(tmp_path)
    assert link == "" and "Benchmarks" in missing
