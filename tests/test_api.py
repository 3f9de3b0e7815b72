"""The Python API: one result type shared with the CLI, users' own programs, property tests, JSON
that validates against the schemas shipped in the package."""

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import lab
from lab import schemas
from lab.cli import main
from lab.errors import LabError
from lab.meta import lab_version
from lab.testing import assert_derivatives_agree

README = Path(__file__).resolve().parent.parent / "README.md"
TIMING = ("compile_seconds", "compute_seconds", "peak_rss_mb")
FAST = ["sympy", "tape", "taylor", "finite.central"]


def _untimed(data):
    """JSON data without what is measured (seconds, memory), which differs from run to run."""
    if isinstance(data, dict):
        return {k: _untimed(v) for k, v in data.items() if k not in TIMING}
    if isinstance(data, list):
        return [_untimed(v) for v in data]
    return data


def test_the_readme_property_test_passes_as_written(tmp_path):
    text = README.read_text(encoding="utf-8").split("### Property tests", 1)[1]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "test_readme_example.py").write_text(code)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path / "test_readme_example.py")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def _tanh_x(x):
    return lab.namespace(x).tanh(x) * x


def test_a_wrong_closed_form_fails_with_a_gradcheck_style_message():
    f = lab.Function(_tanh_x)
    right = assert_derivatives_agree(f, at=[-1.0, 0.5], backends=["tape"],
                                     closed_form=lambda x: np.tanh(x) + x / np.cosh(x) ** 2)
    assert right.ok and right.row("closed_form.closed_form").verdict == "agree"
    with pytest.raises(AssertionError) as e:
        assert_derivatives_agree(f, at=[-1.0, 0.5], backends=["tape"], closed_form=lambda x: np.tanh(x))
    message = str(e.value)
    assert "closed_form.closed_form at x = -1: expected" in message, message
    assert "ρ = " in message and "tolerance" in message and "tape" not in message


def test_a_function_of_several_variables_is_checked_by_its_gradient():
    f = lab.Function(lambda v: lab.namespace(v).exp(v[0]) * v[1], variables=("a", "b"),
                     closed_form=lambda v: np.array([np.exp(v[0]) * v[1], np.exp(v[0])]))
    result = assert_derivatives_agree(f, at=[(0.5, 2.0), (1.0, -1.0)], backends=["jax.grad", "tape"])
    assert result.reference.values.shape == (2, 2)
    assert np.allclose(result.row("jax.grad").values, [[np.exp(0.5) * 2, np.exp(0.5)], [-np.e, np.e]])


def test_a_program_that_branches_on_a_value_is_refused_naming_the_line():
    def relu_by_hand(x):
        if x > 0:
            return x
        return 0 * x

    with pytest.raises(LabError, match=r"branches on a value at .*test_api.py:\d+ \(if x > 0:\)"):
        lab.Function(relu_by_hand)


def test_the_api_json_equals_the_command_line_json(capsys):
    result = lab.diff("x*exp(x)", at=[0.5, 2.0], order=2, backends=FAST)
    assert main(["diff", "x*exp(x)", "--at", "0.5,2", "--order", "2", "--json", "--backend", *FAST]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert _untimed(json.loads(result.to_json())) == _untimed(printed)


@pytest.mark.parametrize("argv", [
    ["diff", "x**3", "--at", "-1,0,2"],
    ["diff", "x*exp(y)", "--wrt", "y", "--at", "x=1,y=0;x=2,y=1"],
    ["diff", "x*y + sin(x)", "--gradient", "--at", "x=1,y=2;x=0,y=0"],
    ["diff", "x*y + sin(x)", "--hessian", "--at", "x=1,y=2"],
    ["diff", "max(x, y)", "--direction", "1,2", "--at", "x=1,y=1"],
    ["diff", "log(x)", "--at", "-1,2"],
], ids=["derivative", "wrt", "gradient", "hessian", "directional", "undefined"])
def test_every_diff_mode_prints_one_shape_that_validates(argv, capsys):
    main([*argv, "--json", "--backend", *FAST])
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schemas.load("lab.diff"))
    assert data["schema"] == {"name": "lab.diff", "version": 1}
    assert all(isinstance(p, dict) for p in data["points"])
    assert all(len(b["values"]) == len(data["points"]) for b in data["backends"].values())


def test_check_json_validates_and_names_its_schema(capsys):
    assert main(["check", "--exercise", "graph", "--backend", "tape", "sympy", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schemas.load("lab.check"))
    assert data["schema"]["name"] == "lab.check" and data["lab_version"] == lab_version()
    assert data["counts"] == {"agree": len(data["rows"])}


def test_a_result_shows_itself_in_a_notebook_and_as_a_frame():
    result = lab.diff("sin(x)", at=[0.5], backends=["tape", "sympy"])
    assert "| tape.reverse | 1 | agree |" in result._repr_markdown_()
    assert "<td>tape.reverse</td>" in result._repr_html_()
    frame = result.to_frame()
    assert list(frame["verdict"]) == ["agree", "agree"] and "compute_seconds" in frame


def test_api_mistakes_are_lab_errors():
    with pytest.raises(LabError, match="unknown backend"):
        lab.diff("x", at=[1.0], backends=["nope"])
    with pytest.raises(LabError, match="unknown exercise"):
        lab.check(["nope"])
    with pytest.raises(LabError):
        lab.diff("__import__('os')", at=[1.0])


def test_the_distribution_has_a_name_of_its_own():
    assert importlib.metadata.distribution("difflab").metadata["Name"] == "difflab"
