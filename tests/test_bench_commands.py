"""The command-speed benchmark's verdicts and page: a target can be missed by time or by exit
status, the profile sums each variant's rows, and the busy run names the rows that timed out."""

from lab.bench.commands import COMMANDS, CommandTiming, Measured, profile
from lab.report.bench_commands import page


def timing(warm, target=8.0, status=0, expected=0):
    return CommandTiming("lab diff x", "working tree", 2 * warm, [warm, warm], target, status, expected)


def test_a_target_is_met_only_in_time_and_with_the_right_exit_status():
    assert timing(3.0).verdict == "met"
    assert timing(9.0).verdict == "missed"
    assert timing(3.0, status=1).verdict.startswith("missed (exit 1")
    assert timing(3.0, status=1, expected=1).verdict == "met"


def test_the_readme_quotient_example_is_expected_to_exit_1_and_the_others_0():
    expected = {c.args[1]: c.exit_status for c in COMMANDS if c.name.startswith("README")}
    assert expected.pop("sin(x)/x") == 1
    assert expected and set(expected.values()) == {0}


def test_profile_sums_compile_and_compute_seconds_per_variant_costliest_first():
    rows = [{"backend": "torch", "variant": "compile", "compile_seconds": 2.0, "compute_seconds": 0.1},
            {"backend": "torch", "variant": "compile", "compile_seconds": 3.0, "compute_seconds": 0.1},
            {"backend": "tape", "variant": "reverse", "compile_seconds": None, "compute_seconds": 0.5}]
    p = profile(rows)
    assert [q["variant"] for q in p] == ["torch.compile", "tape.reverse"]
    assert p[0]["compile_s"] == 5.0 and p[0]["rows"] == 2


def test_the_page_says_what_was_missed_and_what_timed_out():
    m = Measured(timings=[timing(3.0), timing(20.0)],
                 warm_session={"seconds": 2.5, "ok": True, "variants": 20},
                 profile=profile([{"backend": "jax", "variant": "grad", "compute_seconds": 4.0}]),
                 busy={"busy_processes": 2, "rows": 900, "timed_out": ["check: torch.compile"],
                       "load": [3.9]},
                 environment={"load_before": 0.3, "load_after": 0.5, "noisy": False, "cpu_model": "x"})
    text = page(m)
    assert "| met |" in text and "| missed |" in text
    assert "took 2.50 s (target ≤ 1 s: missed" in text
    assert "1 row(s) timed out: check: torch.compile" in text
    assert "(quiet)" in text
    m.environment["noisy"] = True
    assert "**noisy**" in page(m)
