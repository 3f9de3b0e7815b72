"""The command-speed page (reports/bench/commands.md): each command's cold and warm time beside
its target, the warm Python session, where `lab check`'s time goes, and the busy-machine run —
every sentence computed from what `lab.bench.commands.measure` recorded."""

from __future__ import annotations

import datetime

from lab.bench.commands import WARM_SESSION_TARGET_S, CommandTiming, Measured
from lab.output.markdown import md_table, names
from lab.output.provenance import machine, versions

PROFILE_ROWS = 10


def _timings(timings: list[CommandTiming]) -> str:
    rows = [(t.name, t.revision, f"{t.cold_s:.2f} s", f"{t.warm_median_s:.2f} s "
             f"({', '.join(f'{w:.2f}' for w in t.warm_s)})", f"≤ {t.target_s:g} s",
             t.verdict if t.revision == "working tree" else "–", t.exit_status) for t in timings]
    return md_table(["command", "revision", "cold", "warm median (runs)", "target", "verdict",
                     "exit status"], rows)


def _session(result: dict | None) -> str:
    if not result:
        return ""
    if "seconds" not in result:
        return f"\n## A warm Python session\n\nThe session failed: `{result.get('error', '?')}`.\n"
    met = "met" if result["seconds"] <= WARM_SESSION_TARGET_S and result["ok"] else "missed"
    return ("\n## A warm Python session\n\nIn one Python session, after a first `lab.diff` has "
            f"started the workers, a second `lab.diff` of a new one-variable expression at 3 points "
            f"by the {result['variants']} variants that do not compile took {result['seconds']:.2f} s "
            f"(target ≤ {WARM_SESSION_TARGET_S:g} s: {met}; every verdict honest: "
            f"{'yes' if result['ok'] else 'no'}).\n")


def _profile(profile: list[dict]) -> str:
    if not profile:
        return ""
    total = sum(p["compile_s"] + p["compute_s"] for p in profile) or 1.0
    rows = [(p["variant"], p["rows"], f"{p['compile_s']:.2f} s", f"{p['compute_s']:.2f} s",
             f"{(p['compile_s'] + p['compute_s']) / total:.0%}") for p in profile[:PROFILE_ROWS]]
    compiling = sum(p["compile_s"] for p in profile)
    return ("\n## Where `lab check`'s time goes\n\nThe rows of a warm `lab check --json` run, summed "
            f"per variant ({len(profile)} variants; the {min(PROFILE_ROWS, len(profile))} costliest "
            f"shown). Workers run side by side, so these seconds add up to more than the command's "
            f"wall-clock time; compiling and tracing account for {compiling:.1f} s of the "
            f"{total:.1f} s, importing the libraries is not counted.\n\n"
            + md_table(["variant", "rows", "compile", "compute", "share"], rows))


def _busy(busy: dict | None) -> str:
    if not busy:
        return ""
    load = max(busy["load"], default=0.0)
    verdict = ("no row timed out" if not busy["timed_out"]
               else f"{len(busy['timed_out'])} row(s) timed out: {names(busy['timed_out'])}")
    return (f"\n## Beside busy processes\n\n`lab check` and the README's examples ran once more "
            f"with {busy['busy_processes']} processes spinning beside them (1-minute load up to "
            f"{load:.1f}): of {busy['rows']} rows, {verdict} at the default limits.\n")


def page(m: Measured) -> str:
    """The markdown page of one measurement."""
    env = m.environment
    quiet = ("quiet" if not env.get("noisy") else
             "**noisy**: the load beside the measured commands' own passed half the cores, so "
             "these times are not a fair judge")
    return (f"# Command speed\n\n_{machine()} · {env.get('cpu_model', '?')} · {datetime.date.today()} · "
            + ", ".join(f"{k} {v}" for k, v in versions().items()) + "._\n\n"
            f"Load average {env.get('load_before', 0):.2f} before and {env.get('load_after', 0):.2f} "
            f"after the timed runs, of which the commands' own workers make up to "
            f"{env.get('own_load', 1):g} ({quiet}). Each command runs in a fresh process, as a user runs "
            "it: once with an empty cache (cold: JAX and torch.compile compile everything) and then "
            "again with the cache the first run left (warm; each time listed). A target is judged on "
            "the warm median and the exit status the command should end with (the README's "
            "`sin(x)/x` example disagrees on purpose and exits 1). Rows of an earlier revision were "
            "measured in the same run, on the same machine.\n\n"
            + _timings(m.timings) + _session(m.warm_session) + _profile(m.profile) + _busy(m.busy))
