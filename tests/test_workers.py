"""Backends in worker processes: limits that hold (even inside C), crashes and memory contained,
compile time apart, missing libraries reported, the same rows whatever --jobs."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.backends import register, unregister
from lab.cli import main

MISBEHAVING = (("sleepy", "block"), ("crashy", "segfault"), ("hungry", "allocate"), ("slowjit", "jit"))


@pytest.fixture(autouse=True, scope="module")
def misbehaving_backends():
    """The backends of worker_backends.py, registered for this module's tests only."""
    for name, variant in MISBEHAVING:
        register(name, "worker_backends", (variant,))
    yield
    for name, _ in MISBEHAVING:
        unregister(name)


def _diff(capsys, *args: str) -> tuple[int, dict]:
    rc = main(["diff", "x**2", "--at", "1,2", "--json", *args])
    return rc, json.loads(capsys.readouterr().out)


def test_a_backend_blocked_inside_c_is_ended_at_its_limit(capsys):
    start = time.monotonic()
    rc, out = _diff(capsys, "--backend", "sleepy", "tape", "--timeout", "1")
    elapsed = time.monotonic() - start
    row = out["backends"]["sleepy.block"]
    assert rc == 1 and row["verdict"] == "timeout" and "compute" in row["detail"]
    assert out["backends"]["tape.reverse"]["verdict"] == "agree"
    assert elapsed < 60  # the backend itself would sleep for 600 s


def test_a_crashing_backend_is_one_error_row_and_the_others_go_on(capsys):
    rc, out = _diff(capsys, "--backend", "crashy", "tape", "sympy")
    row = out["backends"]["crashy.segfault"]
    assert rc == 1 and row["verdict"] == "error" and "SIGSEGV" in row["detail"], row
    assert {out["backends"][k]["verdict"] for k in ("tape.reverse", "sympy.lambdify")} == {"agree"}


def test_a_worker_past_its_memory_limit_is_ended(capsys):
    rc, out = _diff(capsys, "--backend", "hungry", "tape", "--memory", "1")
    row = out["backends"]["hungry.allocate"]
    assert rc == 1 and row["verdict"] == "error" and "memory limit" in row["detail"], row
    assert out["backends"]["tape.reverse"]["verdict"] == "agree"


def test_the_whole_command_ends_at_its_deadline(capsys):
    start = time.monotonic()
    rc, out = _diff(capsys, "--backend", "sleepy", "--deadline", "3")
    assert rc == 1 and out["backends"]["sleepy.block"]["verdict"] == "timeout"
    assert "deadline" in out["backends"]["sleepy.block"]["detail"]
    assert time.monotonic() - start < 60


def test_compiling_has_its_own_limit_apart_from_computing(capsys):
    rc, out = _diff(capsys, "--backend", "slowjit", "--timeout", "1", "--compile-timeout", "120")
    row = out["backends"]["slowjit.jit"]
    assert rc == 0 and row["verdict"] == "agree", row
    assert row["compile_seconds"] >= 3 and row["compute_seconds"] < 1
    rc, out = _diff(capsys, "--backend", "slowjit", "--timeout", "1", "--compile-timeout", "1")
    assert out["backends"]["slowjit.jit"]["verdict"] == "timeout"
    assert "compile" in out["backends"]["slowjit.jit"]["detail"]


def test_a_missing_library_makes_its_rows_unsupported_with_the_install_command(tmp_path):
    (tmp_path / "casadi.py").write_text("raise ImportError('casadi is blocked for this test')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run([sys.executable, "-m", "lab", "diff", "x**2", "--at", "1", "--backend",
                           "casadi", "tape", "--json"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    for label in ("casadi.sx", "casadi.codegen"):
        row = out["backends"][label]
        assert row["verdict"] == "unsupported" and "pip install 'difflab[backends]'" in row["detail"]
    assert out["backends"]["tape.reverse"]["verdict"] == "agree"


def _without_timing(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("compile_seconds", "compute_seconds", "peak_rss_mb")}
            for r in rows]


def test_jobs_never_change_the_rows(capsys):
    args = ["check", "--exercise", "graph", "polynomial", "--backend", "tape", "sympy", "finite.central",
            "taylor", "closed_form", "--json"]
    assert main([*args, "--jobs", "1"]) == 0
    one = json.loads(capsys.readouterr().out)["rows"]
    assert main([*args, "--jobs", "2"]) == 0
    two = json.loads(capsys.readouterr().out)["rows"]
    assert _without_timing(one) == _without_timing(two) and len(one) > 20


def test_the_commands_process_never_imports_torch_jax_or_tensorflow():
    code = ("import sys, lab; r = lab.diff('sin(x)', at=[0.5], backends=['torch', 'jax', 'tape']); "
            "assert r.ok, r.failures(); "
            "print(sorted(m for m in ('torch', 'jax', 'tensorflow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_workers_are_forked_from_a_zygote_without_threads_or_ai_libraries(capsys):
    """Workers start by forking the pool's zygote, which runs one thread and has loaded none of
    torch, JAX or TensorFlow (so forking it is safe); if the zygote dies, the next command still
    gets its workers."""
    from lab.workers.session import session

    rc, out = _diff(capsys, "--backend", "tape", "sympy")
    assert rc == 0 and out["ok"]
    pool = session()
    zygote = pool._zygote
    assert zygote is not None and zygote.alive()
    workers = [live.process.pid for live in pool._live.values()]
    assert workers and all(_parent_of(pid) == zygote.process.pid for pid in workers)
    with open(f"/proc/{zygote.process.pid}/status") as f:
        assert "Threads:\t1\n" in f.read()
    with open(f"/proc/{zygote.process.pid}/maps") as f:
        loaded = f.read()
    assert not any(lib in loaded for lib in ("libtorch", "jaxlib", "tensorflow"))
    zygote.process.kill()
    zygote.process.wait()
    rc, out = _diff(capsys, "--backend", "tape", "sympy")
    assert rc == 0 and out["ok"]
    assert pool._zygote is not zygote and pool._zygote.alive()


def test_without_a_zygote_workers_are_fresh_interpreters(monkeypatch):
    """Where the zygote cannot fork, each worker is an interpreter of its own, and rows still come."""
    import lab
    from lab.workers import pool as pool_module
    from lab.workers import session

    monkeypatch.setattr(pool_module._Zygote, "fork", lambda self, sock, output, timeout: None)
    session.close()
    try:
        result = lab.diff("x**3", at=[0.5, 2.0], backends=["tape", "sympy"])
        assert result.ok, result.failures()
        workers = list(session.session()._live.values())
        assert workers and all(isinstance(live.process, subprocess.Popen) for live in workers)
    finally:
        session.close()


@pytest.mark.parametrize("value", ["1e300", "0", "-1", "nan", "inf", "1e10"])
def test_limits_out_of_range_are_refused_in_one_line(value, capsys):
    with pytest.raises(SystemExit) as e:
        main(["diff", "x**2", "--timeout", value])
    assert e.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_phase_leaves_out_the_time_spent_waiting_for_a_cpu(monkeypatch):
    from types import SimpleNamespace

    from lab.workers import pool

    delays = iter([1.0, 11.0])  # its run-queue delay at the phase's start, and now
    clock = iter([100.0, 112.0])  # 12 s of wall-clock time, 10 of them ready to run without a CPU
    monkeypatch.setattr(pool, "run_delay", lambda pid: next(delays))
    monkeypatch.setattr(pool.time, "monotonic", lambda: next(clock))
    live = pool._Live("numpy", process=SimpleNamespace(pid=os.getpid()), conn=None)
    live.begin("compute")
    seconds = live.phase_seconds()
    monkeypatch.undo()
    assert seconds == 2.0


@pytest.mark.skipif(not Path("/proc/self/schedstat").exists(), reason="the kernel keeps no schedstat")
def test_run_delay_grows_when_a_cpu_is_shared():
    from lab.workers.pool import run_delay

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        os.sched_setaffinity(spinner.pid, {0})
        mask = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {0})
        before = run_delay(os.getpid())
        end = time.monotonic() + 1.0
        while time.monotonic() < end:  # both want CPU 0: each waits about half the time
            pass
        waited = run_delay(os.getpid()) - before
    finally:
        os.sched_setaffinity(0, mask)
        spinner.kill()
    assert waited > 0.1


def test_the_longest_remaining_work_starts_first(monkeypatch):
    """With two workers at once, torch's worker (it runs torch.compile's costly first compile too)
    and TensorFlow's import start before numpy's many cheap tasks: a long worker left alone at the
    end would make the command wait on one core."""
    from collections import deque
    from types import SimpleNamespace

    from lab.workers import pool

    started = []

    def start(self, group):
        started.append(group)
        fake = SimpleNamespace(pid=os.getpid(), poll=lambda: None)
        live = pool._Live(group, process=fake, conn=SimpleNamespace(send=lambda task: None))
        self._live[group] = live
        return live

    monkeypatch.setattr(pool.Pool, "_start", start)
    monkeypatch.setattr(pool, "run_delay", lambda pid: 0.0)
    def tasks(group, n):
        return deque([SimpleNamespace(id=0, group=group)] * n)

    queues = {"numpy": tasks("numpy", 8), "autograd": tasks("autograd", 2),
              "torch": tasks("torch.compile", 1), "tensorflow": tasks("tensorflow", 3)}
    pool.Pool(jobs=2)._dispatch(queues, {}, done=None)
    assert sorted(started) == ["tensorflow", "torch"]


def test_with_two_cores_torch_compile_shares_torchs_worker():
    """On two cores torch.compile's tasks go to torch's worker (one torch import less); with more
    cores they have a worker of their own, so that compiles run beside torch's other variants."""
    from types import SimpleNamespace

    from lab.workers.pool import Pool

    compile_task = SimpleNamespace(group="torch.compile")
    assert Pool(jobs=2)._group(compile_task) == "torch"
    assert Pool(jobs=4)._group(compile_task) == "torch.compile"
    assert Pool(jobs=2)._group(SimpleNamespace(group="jax")) == "jax"
