"""Each sweep's problem is what its title says (its closed form agrees with a registry method at
tiny sizes), gradbench's sizes and inputs are gradbench's, and a method whose cost passes the cap
stops with the reason recorded (nothing here is timed)."""

import numpy as np
import pytest

from lab.backends.tape import Tape
from lab.bench import families, gradbench_sizes, loss_gradients, polynomial, runner, softmax_jacobian
from lab.bench.harness import Timing
from lab.bench.labels import method_label
from lab.bench.runner import ClosedFormCall, SweepResult

PROBLEMS = [("polynomial order 1", polynomial.problem(1)(7)),
            ("polynomial order 3", polynomial.problem(3)(7)),
            ("softmax", softmax_jacobian.problem(5)),
            ("CE", loss_gradients.problem("CE")(10)), ("SE", loss_gradients.problem("SE")(10)),
            ("lse", gradbench_sizes.lse_problem(16)),
            ("llsq", gradbench_sizes.llsq_problem(5)(20))]


@pytest.mark.parametrize("name, problem", PROBLEMS, ids=[n for n, _ in PROBLEMS])
def test_the_closed_form_agrees_with_the_tape(name, problem):
    got = np.asarray(Tape().prepare(problem.kind, problem.function, problem.points,
                                    problem.order)(), dtype=np.float64)
    expected = ClosedFormCall(problem.closed_forms[0], problem)()
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-10, atol=1e-12)


def test_gradbench_sizes_and_inputs_are_gradbenchs():
    assert gradbench_sizes.LSE_SIZES[0] == 2500 and gradbench_sizes.LSE_SIZES[-1] == 1280000
    assert gradbench_sizes.LLSQ_SIZES[-1] == 16392 and gradbench_sizes.LLSQ_M == 128
    np.random.seed(31337)
    assert np.array_equal(gradbench_sizes.gradbench_input(100), np.random.rand(100))
    assert families.FULL["gradbench"]["lse"] == gradbench_sizes.LSE_SIZES


def test_loss_problems_of_different_shapes_are_labelled_apart():
    (ce, _), _ = loss_gradients.family({"sizes": [10, 100]})
    assert ce.problem(10).group == "10 classes" and ce.problem(100).group == "1000 classes"
    assert ce.problem(100).points.shape == (1, 100, 1000)


def _result_with(method: str, timings: list[tuple[int, float, float]]) -> SweepResult:
    r = SweepResult("s", "t", "n")
    r.labels[method] = method_label(method)
    r.timings = [Timing(method, n, first, first - median, median, median, 0.0, 5)
                 for n, first, median in timings]
    return r


def test_a_method_predicted_past_the_cap_stops_with_its_reason():
    sweep = gradbench_sizes.family(dict(lse=[10], llsq=[10]))[0][0]
    # sympy: a 1 s build at n = 100 grows ∝ n² for a gradient (assumed from its mode): 10⁴ s at 10⁴.
    r = _result_with("sympy.lambdify", [(100, 1.0, 1e-4)])
    why = runner._too_costly(r, sweep, "sympy.lambdify", 10_000, "gradient")
    assert why.startswith("stopped before n (inputs) 10000") and "over the cap of 10 s" in why
    assert "assumed from its mode" in why
    # Reverse mode grows ∝ n: a 1 ms call at n = 100 stays far below the cap at 10⁴.
    cheap = _result_with("tape.reverse", [(100, 2e-3, 1e-3)])
    assert runner._too_costly(cheap, sweep, "tape.reverse", 10_000, "gradient") == ""
    # Two sizes: the exponent is fitted (here ∝ n³), not assumed.
    fitted = _result_with("tape.reverse", [(10, 1e-3, 1e-3), (100, 1.0, 1.0)])
    assert "fitted to its last two sizes" in runner._too_costly(fitted, sweep, "tape.reverse", 1000,
                                                                "gradient")


def test_the_probe_predicts_the_cost_at_the_first_size():
    from lab.backends import select

    sweep = gradbench_sizes.family(dict(lse=[10**6], llsq=[10], probe_lse=8))[0][0]
    result = SweepResult(sweep.name, sweep.title, sweep.size_label)
    runner._probe(result, sweep, select(["sympy", "tape"]))
    probes = result.extra["probes"]
    assert {"sympy.lambdify", "tape.reverse", "closed form softmax(x)"} <= set(probes)
    assert all(p["size"] == 8 and p["first_call_s"] > 0 for p in probes.values())
    # With chosen costs at the probe: a 0.1 s SymPy build grows ∝ n² past the cap at 10⁶ inputs;
    # the tape's 1 ms call ∝ n does not at 10³.
    probes["sympy.lambdify"] = dict(size=8, first_call_s=0.1, call_s=1e-4)
    probes["tape.reverse"] = dict(size=8, first_call_s=2e-3, call_s=1e-3)
    why = runner._too_costly(result, sweep, "sympy.lambdify", 10**6, "gradient")
    assert why.startswith("stopped before n (inputs) 1000000") and "assumed from its mode" in why
    assert runner._too_costly(result, sweep, "tape.reverse", 1000, "gradient") == ""


def test_a_probe_past_the_cap_is_stopped_there():
    import time

    from lab.bench.runner import _PastCap, _within

    with pytest.raises(_PastCap):
        with _within(0.2):
            end = time.monotonic() + 5
            while time.monotonic() < end:  # Python code, as a SymPy build is
                pass
    with _within(5):  # done in time: nothing raised, and the timer is off afterwards
        pass
    time.sleep(0.3)


def test_a_sweep_is_noisy_only_when_other_work_loads_the_machine():
    from lab.bench.harness import noisy

    assert not noisy(1.4, 1.5, 2)  # the benchmark alone keeps one core busy
    assert noisy(2.1, 1.0, 2) and noisy(0.2, 2.3, 2)
    # a command with a worker per core keeps both cores busy by itself
    assert not noisy(0.3, 2.2, 2, own=2) and noisy(0.3, 3.2, 2, own=2)
