"""`lab gradbench check LOG`: a gradbench log re-checked against the certified exact reference.

gradbench's intermediary records a run as JSON lines, `{"elapsed": …, "message": …}` for each
message of the eval and `{"elapsed": …, "response": …}` for the tool's answer. Every `evaluate` of
a module the lab speaks is read back (`lab.interop.gradbench_evals`) and, where its input is small
enough, its output is compared value by value with the exact reference: ρ = |x − y| / max(1,
|x| + |y|), the worst of them, and a verdict under the lab's policy for a float64 method exact up to
rounding (ρ ≤ 100·ε·(κ + 8), κ the value's condition). gradbench itself accepts ρ ≤ 10⁻⁴ against
its hand-written C++ tool; its own analysis of each message is shown beside.

The reference's cost grows faster than the input (SymPy differentiates variable by variable), so
inputs with more than `max_size` terms (len(x) for lse, n·m for llsq) are skipped and listed with
that reason, as are messages a trimmed log keeps no input or output for.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lab.core.compare import OK_VERDICTS, compare, rounding_error
from lab.core.reference import Reference, reference
from lab.errors import LabError
from lab.interop.gradbench_evals import BadInput, Request, request

SKIPPED = "skipped"


@dataclass(frozen=True)
class LogRow:
    """One `evaluate` message of the log and what the re-check found.

    verdict: one of the lab's verdicts, or "skipped" (`detail` says why); max_error: the worst ρ
    against the reference; gradbench: the eval's own analysis ("valid", "invalid", or "" if none).
    """

    id: int
    module: str
    function: str
    description: str
    size: int | None
    verdict: str
    max_error: float | None = None
    tolerance: float | None = None
    detail: str = ""
    gradbench: str = ""

    @property
    def ok(self) -> bool:
        """Whether the row is an honest outcome (what `lab check` calls ok), or skipped."""
        return self.verdict in (*OK_VERDICTS, SKIPPED)

    def as_json(self) -> dict:
        """The fields as a JSON-ready dict."""
        return asdict(self)


@dataclass
class LogCheck:
    """A whole log re-checked: who ran, one row per evaluate message, and notes on lines that are
    not log entries."""

    eval: str
    tool: str
    rows: list[LogRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The check as a JSON-ready dict."""
        return {"eval": self.eval, "tool": self.tool, "rows": [r.as_json() for r in self.rows],
                "notes": self.notes}


@dataclass
class Session:
    """A log's messages and responses by id, in the order the messages came."""

    messages: dict[int, dict] = field(default_factory=dict)
    responses: dict[int, dict] = field(default_factory=dict)
    analyses: dict[int, dict] = field(default_factory=dict)  # by the id they analyse
    notes: list[str] = field(default_factory=list)


def read_log(path: Path) -> Session:
    """The session a log records; LabError when the file is unreadable or holds no message."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        why = e.strerror if isinstance(e, OSError) else "it is not UTF-8 text"
        raise LabError(f"cannot read the log {path}: {why}") from None
    session = Session()
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            _add(session, number, line)
    if not session.messages:
        raise LabError(f"{path} is not a gradbench log: no line records a message")
    return session


def _add(session: Session, number: int, line: str) -> None:
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        session.notes.append(f"line {number} is not JSON")
        return
    if isinstance(entry, dict) and isinstance(entry.get("message"), dict) \
            and _is_id(entry["message"].get("id")):
        message = entry["message"]
        session.messages[message["id"]] = message
        if message.get("kind") == "analysis" and _is_id(message.get("of")):
            session.analyses[message["of"]] = message
    elif isinstance(entry, dict) and isinstance(entry.get("response"), dict) \
            and _is_id(entry["response"].get("id")):
        session.responses[entry["response"]["id"]] = entry["response"]
    else:
        session.notes.append(f"line {number} is not a message or response with an id")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_log(path: Path, max_size: int, seconds: float | None = None) -> LogCheck:
    """Every evaluate message of the log at `path` re-checked (`seconds`: the reference's time
    budget per message)."""
    session = read_log(path)
    start = next((m for m in session.messages.values() if m.get("kind") == "start"), {})
    tool = session.responses.get(start.get("id"), {}).get("tool", "")
    result = LogCheck(str(start.get("eval") or ""), str(tool or ""), notes=session.notes)
    for ident, message in session.messages.items():
        if message.get("kind") == "evaluate":
            result.rows.append(check_message(message, session.responses.get(ident),
                                             session.analyses.get(ident), max_size, seconds))
    return result


def exact(req: Request, seconds: float | None = None) -> Reference:
    """The certified reference for a request at its point: the gradient, or the value as the
    derivative of order 0 (SymPy's 0th derivative of the expression is the expression)."""
    if req.kind == "value":
        return reference(req.fn, "derivative", req.x[None], order=0, seconds=seconds)
    return reference(req.fn, "gradient", req.x[None], seconds=seconds)


def check_message(message: dict, response: dict | None, analysis: dict | None, max_size: int,
                  seconds: float | None = None) -> LogRow:
    """One evaluate message and its response re-checked."""
    row = dict(id=message["id"], module=str(message.get("module")),
               function=str(message.get("function")),
               description=str(message.get("description") or ""),
               gradbench="" if analysis is None else ("valid" if analysis.get("valid") else "invalid"))
    if message.get("input") is None:
        return LogRow(**row, size=None, verdict=SKIPPED, detail="the log keeps no input (trimmed)")
    try:
        req = request(message.get("module"), message.get("function"), message["input"])
    except BadInput as e:
        return LogRow(**row, size=None, verdict=SKIPPED, detail=f"lab cannot check this: {e}")
    row["size"] = req.size
    if response is None:
        return LogRow(**row, verdict="error", detail="the tool did not respond (the log ends: a "
                      "crash, or the intermediary's timeout)")
    if not response.get("success"):
        return LogRow(**row, verdict="error",
                      detail=f"the tool failed: {response.get('error') or 'no reason given'}")
    if response.get("output") is None:
        return LogRow(**row, verdict=SKIPPED, detail="the log keeps no output (trimmed)")
    if req.size > max_size:
        return LogRow(**row, verdict=SKIPPED, detail=f"{req.size} terms: the reference is computed "
                      f"up to {max_size} (--max-size)")
    try:
        got = req.decode(response["output"])
    except BadInput as e:
        return LogRow(**row, verdict="disagree", detail=str(e))
    ref = exact(req, seconds)
    c = compare(ref, got[None], rounding_error(ref))
    return LogRow(**row, verdict=c.verdict, max_error=c.max_error, tolerance=c.tolerance,
                  detail=c.detail)
