"""The swell sweep: every registry method it names differentiates the same program correctly, the
sizes it reports grow as they should, its notes are computed from the records, and the family
follows the plan."""

import mpmath
import numpy as np
import pytest
import sympy as sp

from lab.backends import select
from lab.bench import families, swell, swell_ops
from lab.bench.runner import Problem
from lab.bench.swell_ops import POINTS
from lab.report import bench_swell

METHODS = select(list(swell.BACKENDS))


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("program", list(swell.PROGRAMS.values()), ids=list(swell.PROGRAMS))
def test_the_reference_is_sympys_exact_derivative_at_50_digits(program, depth):
    x = sp.Symbol("x")
    derivative = sp.diff(program(x, depth), x)
    expected = [float(derivative.evalf(50, subs={x: sp.Float(float(p), 50)})) for p in POINTS[::16]]
    np.testing.assert_allclose(swell.exact(program, depth)[::16], expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("depth", [1, 4])
@pytest.mark.parametrize("kind", list(swell.PROGRAMS))
@pytest.mark.parametrize("method", METHODS, ids=[m.label for m in METHODS])
def test_every_method_gives_the_exact_derivative_at_every_point(method, kind, depth):
    f = swell.function_of(kind, depth)
    got = swell.as_float64(method.prepare("derivative", f, POINTS)())
    assert got.shape == POINTS.shape
    assert swell.error(got, swell.exact(swell.PROGRAMS[kind], depth)) < 1e-13


@pytest.mark.parametrize("program", list(swell.PROGRAMS.values()), ids=list(swell.PROGRAMS))
def test_the_program_written_once_has_one_value_on_every_kind_of_input(program):
    x = sp.Symbol("x")
    primal = program(POINTS, 3)
    by_sympy = sp.lambdify(x, program(x, 3), "mpmath")
    for p, expected in zip(POINTS[::16], primal[::16], strict=True):
        assert float(program(mpmath.mpf(float(p)), 3)) == pytest.approx(expected, rel=1e-14)
        assert float(by_sympy(mpmath.mpf(float(p)))) == pytest.approx(expected, rel=1e-14)


def test_ad_graph_sizes_grow_linearly_and_sympys_cse_form_stays_small():
    for backend in ("jax", "torch", "tape"):
        sizes = [swell_ops.operations(backend, swell.logistic, d) for d in (4, 8, 12)]
        assert sizes[2] - sizes[1] == sizes[1] - sizes[0] > 0, (backend, sizes)
    tree = [sp.count_ops(sp.diff(swell.nested(sp.Symbol("x"), d), sp.Symbol("x"))) for d in (5, 6)]
    assert swell_ops.operations("sympy", swell.nested, 6) * 10 < tree[-1]
    assert swell_ops.operations("finite", swell.nested, 2) is None


# --- the notes, from fake records -------------------------------------------------------------------
def _rows(symbolic_ms, ad_ms, ops=lambda d: 2**d):
    rows = []
    for d, ms in symbolic_ms.items():
        rows.append(dict(method="sym", kind="symbolic", depth=d, ops=ops(d), build_s=ms / 1e3,
                         eval_s=0.0, error=1e-16))
    for d, ms in ad_ms.items():
        rows.append(dict(method="ad", kind="AD", depth=d, ops=5 * d, build_s=0.0, eval_s=ms / 1e3,
                         error=2e-16))
    return rows


def _crossover_row(rows) -> str:
    notes = bench_swell.record_notes(rows, 2.0, {}, "depth")
    return next(line for line in notes[-1].splitlines() if line.startswith("| sym |"))


def test_crossover_moves_with_the_measured_costs():
    depths = range(1, 9)
    assert _crossover_row(_rows({d: 2.0**d for d in depths}, {d: 10.0 for d in depths})) == "| sym | 4 |"
    assert _crossover_row(_rows({d: 2.0**d for d in depths}, {d: 100.0 for d in depths})) == "| sym | 7 |"
    never = _rows({d: 1.0 for d in depths}, {d: 100.0 for d in depths})
    assert _crossover_row(never) == "| sym | none up to 8 |"
    always = _rows({d: 1.0 for d in depths}, {d: 0.5 for d in depths})
    assert _crossover_row(always) == "| sym | 1 (every depth) |"


def test_growth_notes_follow_the_measured_sizes_and_say_why_a_method_stopped():
    depths = range(1, 11)
    exponential = "\n".join(bench_swell.record_notes(
        _rows({d: 1.0 for d in depths}, {d: 1.0 for d in depths}), 2.0, {}, "depth"))
    assert "- sym: size ×2.00 per level (exponential)" in exponential
    assert "exponentially for sym" in exponential
    stopped = "\n".join(bench_swell.record_notes(
        _rows({1: 1.0, 2: 2.0}, {1: 1.0, 2: 1.0, 3: 1.0}), 2.0,
        {"sym": "stopped before depth 3: 2.5 s"}, "depth"))
    assert "stopped before depth 3: 2.5 s" in stopped


@pytest.mark.parametrize("plan", [families.QUICK["swell"], families.FULL["swell"]], ids=["quick", "full"])
def test_family_follows_the_plan(plan):
    found = swell.family(plan)
    assert [(s.name, sizes) for s, sizes in found] == [("swell_nested", plan["nested"]),
                                                        ("swell_loop", plan["loop"])]
    assert all(s.family == "swell" and s.cap_s == plan["cap_s"] for s, _ in found)
    problem = found[0][0].problem(2)
    assert isinstance(problem, Problem) and problem.function is swell.function_of("nested", 2)


def test_the_sweep_attaches_records_and_the_page_shows_them(tmp_path):
    from lab.bench.runner import run

    sweep, _ = swell.family(dict(nested=[1, 2], loop=[1, 2], cap_s=60.0))[0]
    result = run(sweep, [1, 2], backends=["sympy", "tape"])
    rows = result.extra["rows"]
    assert {(r["method"], r["depth"]) for r in rows} == {(m, d) for m in ("sympy.lambdify",
                                                                          "tape.reverse")
                                                         for d in (1, 2)}
    assert all(r["eval_s"] > 0 and r["error"] < 1e-13 for r in rows)
    notes = "\n".join(bench_swell.notes(result))
    sympy_sizes = [r["ops"] for r in rows if r["method"] == "sympy.lambdify"]
    assert f"| 2 | {sympy_sizes[1]} |" in notes and "## Crossover" in notes
    assert bench_swell.draw(result, tmp_path) == "swell_nested-panels.png"
