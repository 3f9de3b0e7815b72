"""Regression: `lab diff` against derivatives whose true values nobody on the team chose.

The cases (tests/regression_cases.py) are published test cases — Squire & Trapp's complex-step
function, numdifftools' and SciPy's test suites — and edge cases with true values derived there.
Each case is one in-process `lab diff ... --json` call, and each call is checked for:

  reference  the reference equals the true value to 1e-14 relative (or is the float64 nearest to
             it), and is null exactly where the derivative does not exist;
  agreement  a backend that says "agree" at a point claims ρ ≤ its tolerance there (at most 1e-2)
             against lab's reference; the claim is checked against the true value t in lab's own
             metric ρ = |v − t| / max(1, |v| + |t|) — and none says "agree" where there is no true
             value to agree with;
  verdicts   every verdict is one lab knows, and the JSON has one value per point;
  exact      on the published cases (well-conditioned, smooth) the exact and AD backends — sympy,
             torch, jax — say "agree" (or "unsupported", saying why): never error, disagree or
             inaccurate;
  must-agree the backends a case names must say "agree" (where "it must work" is the point).

Two more tests need no `lab` call: the recorded true values are recomputed with mpmath (from the
closed form and from mpmath.diff), and they agree with the digits the sources print.
"""

from __future__ import annotations

import json
import shlex
from decimal import Decimal

import mpmath as mp
import pytest
from regression_cases import CASES, Case

from lab.cli import main

# Every verdict `lab diff` may give ("overflow": the derivative is beyond float64).
VERDICTS = {"agree", "disagree", "inaccurate", "undefined", "unsupported", "timeout", "error",
            "uncertified", "overflow"}
EXACT_BACKENDS = ("sympy", "torch", "jax")  # exact to rounding wherever they run
REFERENCE_RTOL = 1e-14  # the reference's distance to the true value (or it is the nearest float64)
MAX_TOLERANCE = 1e-2  # no tolerance may come near ρ's maximum of 1

_RESULTS: dict[str, tuple[int, dict | None, str]] = {}


def _run(case: Case, capsys) -> dict:
    """The JSON of `lab diff` for this case (one call per case, shared by its checks)."""
    if case.id not in _RESULTS:
        capsys.readouterr()
        try:
            rc = main(case.argv())
        except (Exception, SystemExit) as e:  # a crash is this case's result
            captured = capsys.readouterr()
            _RESULTS[case.id] = (-1, None, f"lab diff raised {type(e).__name__}: {e} "
                                            f"{captured.err.strip()[-300:]}")
        else:
            captured = capsys.readouterr()
            try:
                _RESULTS[case.id] = (rc, json.loads(captured.out), "")
            except json.JSONDecodeError:
                _RESULTS[case.id] = (rc, None, f"exit {rc}, no JSON on stdout; stderr: "
                                               f"{captured.err.strip()[-300:]}")
    rc, out, problem = _RESULTS[case.id]
    if out is None:
        pytest.fail(f"{_command(case)}: {problem}")
    return out


def _command(case: Case) -> str:
    return shlex.join(["lab", *case.argv()])


def _error(value: float, true: str) -> float:
    """ρ = |v − t| / max(1, |v| + |t|), with the true value t at full precision."""
    v, t = Decimal(value), Decimal(true)
    return float(abs(v - t) / max(Decimal(1), abs(v) + abs(t)))


def _reference_values(out: dict) -> list:
    """The reference's values (the JSON holds them beside their statuses and notes)."""
    ref = out["reference"]["values"]
    return ref["values"] if isinstance(ref, dict) else ref


def _values(b: dict, n: int) -> list:
    """A backend's values; a row without values (unsupported, error) has none at any point."""
    return [None] * n if b["values"] is None else b["values"]


def check_reference(case: Case, out: dict) -> list[str]:
    ref = _reference_values(out)
    if len(ref) != len(case.true):
        return [f"{len(ref)} reference values for {len(case.true)} points"]
    bad = []
    for i, (r, t) in enumerate(zip(ref, case.true, strict=True)):
        if t is None:
            if r is not None:
                bad.append(f"point {i}: the derivative does not exist, the reference says {r!r}")
        elif r is None:
            bad.append(f"point {i}: the reference is null, the true value is {t}")
        elif r != float(t) and abs(Decimal(r) - Decimal(t)) > Decimal(REFERENCE_RTOL) * abs(Decimal(t)):
            rel = abs(Decimal(r) - Decimal(t)) / abs(Decimal(t)) if Decimal(t) else float("inf")
            bad.append(f"point {i}: reference {r!r}, true {t} (relative error {float(rel):.2e})")
    return bad


def check_agreement(case: Case, out: dict) -> list[str]:
    bad = []
    for name, b in out["backends"].items():
        if b["verdict"] != "agree":
            continue
        if all(t is None for t in case.true):
            bad.append(f"{name} says agree, but the derivative does not exist here "
                       f"(values {b['values']})")
            continue
        for i, (v, t) in enumerate(zip(_values(b, len(case.true)), case.true, strict=True)):
            if t is None:
                continue
            if v is None:
                bad.append(f"{name} says agree with no value at point {i} (true {t})")
            elif not b["point_tolerances"][i] or b["point_tolerances"][i] > MAX_TOLERANCE:
                bad.append(f"{name} says agree at point {i} under tolerance "
                           f"{b['point_tolerances'][i]!r}")
            elif _error(v, t) > b["point_tolerances"][i]:
                # "agree" claims ρ ≤ tolerance against the lab's reference: checked here against
                # the independently computed true value.
                bad.append(f"{name} says agree at point {i}: got {v!r}, true {float(t)!r} "
                           f"(ρ {_error(v, t):.2e} > its tolerance {b['point_tolerances'][i]:.1e})")
    return bad


def check_verdicts(case: Case, out: dict) -> list[str]:
    bad = []
    if not out.get("backends"):
        bad.append("no backends in the output")
    for name, b in out["backends"].items():
        if b["verdict"] not in VERDICTS:
            bad.append(f"{name}: unknown verdict {b['verdict']!r}")
        if len(_values(b, len(case.true))) != len(case.true):
            bad.append(f"{name}: {len(b['values'])} values for {len(case.true)} points")
    return bad


def check_exact(case: Case, out: dict) -> list[str]:
    return [f"{n} says {b['verdict']} (values {b['values']}; true {list(case.true)})"
            for n, b in out["backends"].items()
            if n.split(".")[0] in EXACT_BACKENDS and b["verdict"] not in ("agree", "unsupported")]


def check_must_agree(case: Case, out: dict) -> list[str]:
    bad = []
    for backend in case.must_agree:
        variants = {n: b for n, b in out["backends"].items() if n.split(".")[0] == backend}
        if not variants:
            bad.append(f"no {backend} variant in the output")
        bad += [f"{n} says {b['verdict']} (values {b['values']}; {b.get('detail', '')[:300]}), must agree"
                for n, b in variants.items() if b["verdict"] != "agree"]
    return bad


CHECKS = {"reference": check_reference, "agreement": check_agreement, "verdicts": check_verdicts,
          "exact": check_exact, "must-agree": check_must_agree}


def _applies(case: Case, check: str) -> bool:
    return {"exact": not case.is_edge, "must-agree": bool(case.must_agree)}.get(check, True)


# One flat list, each case's checks side by side, so that they share its one `lab diff` call (under
# pytest-xdist's --dist loadgroup, a case's checks go to one worker).
PAIRS = [pytest.param(case, check, id=f"{case.id}:{check}",
                      marks=pytest.mark.xdist_group(f"regression-{case.id}"))
         for case in CASES for check in CHECKS if _applies(case, check)]


@pytest.mark.parametrize(("case", "check"), PAIRS)
def test_lab_diff(case: Case, check: str, capsys):
    out = _run(case, capsys)
    bad = CHECKS[check](case, out)
    assert not bad, f"{_command(case)}\n  [{case.source}]\n  " + "\n  ".join(bad)


# --- The table itself: recomputed independently, and against the digits the sources print -------

def _exact(case: Case, dps: int = 60) -> list[tuple[mp.mpf, mp.mpf]]:
    """(closed form, mpmath.diff) of the derivative at each point, at `dps` digits."""
    values = []
    with mp.workdps(dps):
        for point, t in zip(case.points(), case.true, strict=True):
            if t is None:
                continue
            args = {k: mp.mpf(v) for k, v in point.items()}
            wrt = case.wrt or next(iter(args))
            numeric = mp.diff(lambda s, args=args, wrt=wrt: case.function(**{**args, wrt: s}),
                              args[wrt], case.order)
            values.append((case.formula(**args) if case.formula else numeric, numeric))
    return values


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_recorded_true_values_are_what_mpmath_computes(case: Case):
    if all(t is None for t in case.true):
        assert case.function is None and case.formula is None
        return
    assert case.function is not None and len(case.true) == len(case.points())
    recorded = [t for t in case.true if t is not None]
    with mp.workdps(60):
        for t, (closed, numeric) in zip(recorded, _exact(case), strict=True):
            scale = max(abs(closed), mp.mpf(10) ** -300)
            assert abs(mp.mpf(t) - closed) <= mp.mpf(10) ** -35 * scale, (case.id, t, closed)
            # mpmath.diff's error is absolute (a step of 10^-50 or so): compare on max(1, |f|).
            assert abs(numeric - closed) <= mp.mpf(10) ** -30 * max(1, abs(closed)), \
                (case.id, closed, numeric)


@pytest.mark.parametrize("case", [c for c in CASES if c.published],
                         ids=[c.id for c in CASES if c.published])
def test_recorded_true_values_match_the_published_digits(case: Case):
    assert len(case.published) == len(case.true)
    for printed, t in zip(case.published, case.true, strict=True):
        if printed is None:
            continue
        decimals = len(printed.partition(".")[2])
        # half a unit in the last printed place, or half an ulp where the source printed a float64
        tolerance = Decimal(5) * Decimal(10) ** -(decimals + 1) + Decimal(1.2e-16) * abs(Decimal(printed))
        assert abs(Decimal(t) - Decimal(printed)) <= tolerance, (case.id, printed, t)


def test_case_ids_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)
