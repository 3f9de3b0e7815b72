"""Imports run one way: a package may import only packages of lower layers (and itself), and the
command line and `lab.core` start without torch or JAX."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent / "lab"
# Lower numbers are imported by higher ones, never the other way round.
LAYERS = {
    "errors": 0, "cache": 0, "interrupts": 0, "meta": 0, "schemas": 0,
    "core": 1, "output": 1,
    "exercises": 2, "backends": 2,
    "workers": 3,
    "check": 4,
    "studies": 5, "diffusion": 5, "interop": 5,
    "bench": 6,
    "report": 7,
    "api": 8,
    "cli": 9, "testing": 9, "__main__": 10,
}


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every `lab.…` module the file imports, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("lab.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "lab":
                found += [(node.lineno, f"lab.{a.name}") for a in node.names]
            elif node.module.startswith("lab."):
                found.append((node.lineno, node.module))
    return found


FILES = sorted(p for p in LAB.rglob("*.py") if p.parent != LAB or p.stem != "__init__")


def test_every_module_belongs_to_a_layer():
    packages = {p.relative_to(LAB).parts[0].removesuffix(".py") for p in FILES}
    assert packages - {"__init__"} <= set(LAYERS), packages - set(LAYERS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(LAB)))
def test_imports_run_one_way(path):
    own = path.relative_to(LAB).parts[0].removesuffix(".py")
    against = [f"line {line}: {module}" for line, module in _imports(path)
               if _package(module) != own and LAYERS[_package(module)] >= LAYERS[own]]
    assert not against, f"{path.relative_to(LAB)} (layer {LAYERS[own]}) imports upward: {against}"


def test_the_command_line_and_the_core_start_without_torch_or_jax():
    code = ("import sys, lab.cli, lab.core.reference, lab.core.expression, lab.backends, lab.api, "
            "lab.testing; "
            "lab.cli.build_parser(); "
            "print(sorted(m for m in ('torch', 'jax', 'tensorflow', 'diffusers', 'transformers') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
