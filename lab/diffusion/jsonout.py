"""The objects `lab sd inspect --json` and `lab sd safety --json` print (schemas lab.sd.inspect
and lab.sd.safety, shipped in `lab.schemas`): one shape for the safety checker's two engines."""

from __future__ import annotations

from lab.meta import lab_version
from lab.schemas import head


def inspect_json(counts: list, source: str) -> dict:
    """`lab sd inspect --json`: schema lab.sd.inspect."""
    def course(c) -> dict | None:
        numbers = c.course()
        return None if numbers is None else dict(zip(("modules", "tensors", "scalars"), numbers,
                                                     strict=True))

    return head("lab.sd.inspect", lab_version()) | {
        "source": source, "matches_course": all(c.matches_course() for c in counts),
        "components": [{"name": c.name, "type": c.type_name, "modules": c.modules,
                        "tensors": c.tensors, "scalars": c.scalars, "course": course(c),
                        "matches_course": c.matches_course()} for c in counts]}


def safety_json(engine: str, source: str, counts: dict, images: list | None, skipped: list,
                files: dict, ray: dict | None = None) -> dict:
    """`lab sd safety --json`, one shape for both engines: schema lab.sd.safety."""
    return head("lab.sd.safety", lab_version()) | {"engine": engine, "source": source} | counts | {
        "images": images, "skipped": [{"path": p, "why": w} for p, w in skipped],
        "files": files, "ray": ray}
