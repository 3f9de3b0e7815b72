"""The swell sweep: every tool differentiates the same program correctly, the sizes it reports grow
as they should, its notes are computed from the records, and the family follows the plan."""

import json

import mpmath
import numpy as np
import pytest
import sympy as sp

from lab.bench import summary, sweeps, swell, swell_notes
from lab.bench.swell_tools import POINTS, TOOLS

TOOL_NAMES = [t.method for t in TOOLS]


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("program", list(swell.PROGRAMS.values()), ids=list(swell.PROGRAMS))
def test_the_reference_is_sympys_exact_derivative_at_50_digits(program, depth):
    x = sp.Symbol("x")
    derivative = sp.diff(program(x, depth), x)
    expected = [float(derivative.evalf(50, subs={x: sp.Float(float(p), 50)})) for p in POINTS[::16]]
    np.testing.assert_allclose(swell.exact(program, depth)[::16], expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("depth", [1, 4])
@pytest.mark.parametrize("program", list(swell.PROGRAMS.values()), ids=list(swell.PROGRAMS))
@pytest.mark.parametrize("tool", TOOLS, ids=TOOL_NAMES)
def test_every_tool_gives_the_exact_derivative_at_every_point(tool, program, depth):
    built = tool.build(program, depth)
    got = swell.as_float64(built.fn(*built.args))
    assert got.shape == POINTS.shape
    assert swell.error(got, swell.exact(program, depth)) < 1e-13


@pytest.mark.parametrize("program", list(swell.PROGRAMS.values()), ids=list(swell.PROGRAMS))
def test_the_program_written_once_has_one_value_on_every_kind_of_input(program):
    x = sp.Symbol("x")
    primal = program(POINTS, 3)
    by_sympy = sp.lambdify(x, program(x, 3), "mpmath")
    for p, expected in zip(POINTS[::16], primal[::16], strict=True):
        assert float(program(mpmath.mpf(float(p)), 3)) == pytest.approx(expected, rel=1e-14)
        assert float(by_sympy(mpmath.mpf(float(p)))) == pytest.approx(expected, rel=1e-14)
    for lib, fn, args in swell.primals(program)(3):
        value = swell.as_float64(fn(*args))
        np.testing.assert_allclose(value, primal, rtol=1e-14, err_msg=lib)


@pytest.mark.parametrize("program", list(swell.PROGRAMS.values()), ids=list(swell.PROGRAMS))
def test_sympy_tree_size_swells_and_cse_shares(program):
    tree, shared = TOOLS[0], TOOLS[1]
    assert tree.method == "SymPy diff + lambdify" and "cse" in shared.method

    def ops(tool, depth):
        return tool.ops(tool.build(program, depth), program, depth)

    sizes = [ops(tree, d) for d in range(1, 7)]
    assert all(b > 2 * a for a, b in zip(sizes[1:], sizes[2:], strict=False)), sizes
    assert ops(shared, 6) * 10 < sizes[-1]


def test_ad_graph_sizes_grow_linearly():
    for tool in TOOLS[-3:]:  # JAX, torch, tape
        sizes = [tool.ops(tool.build(swell.logistic, d), swell.logistic, d) for d in (4, 8, 12)]
        assert sizes[2] - sizes[1] == sizes[1] - sizes[0] > 0, (tool.method, sizes)


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
    notes = swell_notes.notes(rows, 2.0, {}, "depth")
    return next(line for line in notes[-1].splitlines() if line.startswith("| sym |"))


def test_crossover_moves_with_the_measured_costs():
    depths = range(1, 9)
    cheap_ad = _rows({d: 2.0**d for d in depths}, {d: 10.0 for d in depths})
    assert _crossover_row(cheap_ad) == "| sym | 4 |"  # 2⁴ = 16 ms > 10 ms from depth 4 on
    dear_ad = _rows({d: 2.0**d for d in depths}, {d: 100.0 for d in depths})
    assert _crossover_row(dear_ad) == "| sym | 7 |"
    never = _rows({d: 1.0 for d in depths}, {d: 100.0 for d in depths})
    assert _crossover_row(never) == "| sym | none up to 8 |"
    always = _rows({d: 1.0 for d in depths}, {d: 0.5 for d in depths})
    assert _crossover_row(always) == "| sym | 1 (every depth) |"


def test_a_tool_stopped_by_the_cap_loses_where_ad_stays_under_the_cap():
    assert swell_notes.crossover({1: 0.001, 2: 0.01}, {1: 0.1, 2: 0.1, 3: 0.1}, cap_s=2.0) == 3
    assert swell_notes.crossover({1: 0.001, 2: 0.01}, {1: 0.1, 2: 0.1, 3: 3.0}, cap_s=2.0) is None


def test_growth_notes_follow_the_measured_sizes():
    depths = range(1, 11)
    exponential = "\n".join(swell_notes.notes(_rows({d: 1.0 for d in depths}, {d: 1.0 for d in depths}),
                                              2.0, {}, "depth"))
    assert "- sym: size ×2.00 per level (exponential); build + one evaluation ×1.00 per level over " \
        "6–10" in exponential
    doubling = "\n".join(swell_notes.notes(_rows({d: 2.0**d for d in depths}, {d: 1.0 for d in depths}),
                                           2.0, {}, "loop steps"))
    assert "build + one evaluation ×2.00 per step over 6–10" in doubling
    assert "exponentially for sym" in exponential and "about linearly (exponent ≤ 1.25) or less for ad" \
        in exponential
    linear = "\n".join(swell_notes.notes(_rows({d: 1.0 for d in depths}, {d: 1.0 for d in depths},
                                               ops=lambda d: 7 * d + 3), 2.0, {}, "depth"))
    assert "- sym: size ∝ depth^" in linear and "exponentially" not in linear
    stopped = "\n".join(swell_notes.notes(_rows({1: 1.0, 2: 2.0}, {1: 1.0, 2: 1.0, 3: 1.0}), 2.0,
                                          {"sym": {"depth": 2, "seconds": 2.5}}, "depth"))
    assert "not run beyond depth 2, where building and counting took 2.5 s (cap 2 s)" in stopped


def test_growth_fits_pick_the_right_model():
    assert swell_notes.growth([(d, 3.0**d) for d in range(1, 9)]) == ("exponential", pytest.approx(3.0))
    model, exponent = swell_notes.growth([(d, 4.0 * d**2) for d in range(1, 9)])
    assert model == "power" and exponent == pytest.approx(2.0)
    assert swell_notes.growth([(d, 1.0 + 0.01 * d) for d in range(1, 9)])[0] == "flat"
    assert swell_notes.growth([(1, 1.0), (2, 2.0)]) is None


# --- the family, its cap, and its page --------------------------------------------------------------
@pytest.mark.parametrize("plan", [summary.QUICK["swell"], summary.FULL["swell"]], ids=["quick", "full"])
def test_family_follows_the_plan(plan):
    found = sweeps.family("swell", plan)
    assert [(s.name, sizes) for s, sizes in found] == [("swell_nested", plan["nested"]),
                                                        ("swell_loop", plan["loop"])]
    assert all(s.family == "swell" for s, _ in found)


def test_a_tool_over_the_cap_is_not_run_deeper():
    records = swell.Records(cap_s=0.0)
    jobs = swell.swell_jobs(swell.nested, records)
    assert [m for m, *_ in jobs(1)] == TOOL_NAMES
    assert set(records.stopped) == set(TOOL_NAMES)
    assert list(jobs(2)) == []


def test_the_page_holds_the_records_tables_and_panels(tmp_path):
    sweep, _ = sweeps.family("swell", dict(nested=[1, 2, 3], loop=[1, 2, 3], cap_s=60.0))[0]
    result = sweeps.run(sweep, [1, 2, 3])
    summary.write(result, tmp_path)
    data = json.loads((tmp_path / "swell_nested.json").read_text())
    rows = data["extra"]["rows"]
    assert {(r["method"], r["depth"]) for r in rows} == {(m, d) for m in TOOL_NAMES for d in (1, 2, 3)}
    assert all(r["eval_s"] > 0 and r["error"] < 1e-13 for r in rows)
    page = (tmp_path / "swell_nested.md").read_text()
    assert "![derivative size, time to build the derivative" in page and "## Crossover" in page
    assert (tmp_path / "swell_nested-panels.png").stat().st_size > 0
    sympy_sizes = [r["ops"] for r in rows if r["method"] == "SymPy diff + lambdify"]
    assert f"| 3 | {sympy_sizes[2]} |" in page
