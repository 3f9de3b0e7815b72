"""A page's sentences follow its results: hand a page results that contradict the course or a
closed form, and the page must say so instead of the usual "agree"."""

import numpy as np
import pytest

from lab.check.crosscheck import Row
from lab.output.provenance import header
from lab.report import index, verdict_sentence
from lab.report.crosscheck_pages import agreement, cell
from lab.report.errata import errata_page
from lab.report.logic_page import logic_page
from lab.report.losses_page import losses_page
from lab.report.polynomial_page import polynomial_text
from lab.report.results import LogicResult, LossCurves, Results, SampledL1, SoftmaxFacts, TargetSum
from lab.report.softmax_page import _invariance


def row(case="c", backend="sympy", variant="lambdify", verdict="agree", expected="agree",
        values=None, exercise="losses", order=1, max_error=0.0):
    """A cross-check row with only the fields the pages read set."""
    return Row(exercise=exercise, case=case, backend=backend, variant=variant, family="exact",
               kind="gradient", order=order, max_error=max_error, tolerance=1e-13, verdict=verdict,
               expected=expected, values=None if values is None else np.asarray(values, dtype=float))


def test_the_index_says_when_a_row_disagrees():
    results = Results(rows=[row(verdict="agree"), row(verdict="disagree", max_error=0.3)])
    text = verdict_sentence(results)
    assert "not as expected" in text and "1 disagree" in text and "All" not in text
    assert "not as expected" in index(results)


def test_the_index_counts_every_verdict_it_was_given():
    ok = Results(rows=[row(verdict="agree"), row(verdict="inaccurate"), row(verdict="unsupported")])
    text = verdict_sentence(ok)
    assert text.startswith("All 3 rows are as expected") and "1 inaccurate" in text
    text = verdict_sentence(Results(rows=[*ok.rows, row(verdict="timeout")]))
    assert "1 of 4 rows are not as expected** (1 timeout)" in text


@pytest.mark.parametrize("verdict", ["disagree", "undefined", "unsupported", "error"])
def test_agreement_says_agree_only_when_every_row_agrees(verdict):
    text = agreement([row(), row(verdict=verdict)], "the closed form")
    assert "agree (" not in text and "not every row agrees" in text and verdict in text
    assert "all 2 of its rows agree" in agreement([row(), row()], "the closed form")
    assert "its one row agrees" in agreement([row()], "the closed form")


def test_a_cell_without_an_agreeing_row_does_not_say_agree():
    assert not cell([row(verdict="undefined"), row(verdict="undefined")]).startswith("agree")
    assert cell([row(verdict="disagree")]).startswith("**disagree**")


def se_rows(derived_verdict="agree", plot_verdict="disagree", plot_factor=0.5):
    true = np.array([[0.2, -0.2], [0.4, -0.4]])
    return [row("SE n=2", "closed_form", "course derivation 4 p1(1-p1)(p1-y1)", derived_verdict,
                values=true),
            row("SE n=2", "closed_form", "course plot 2 p1(1-p1)(p1-y1)", plot_verdict,
                expected="disagree", values=plot_factor * true, max_error=0.25)]


def test_errata_confirm_the_se_constant_when_the_rows_do():
    text = errata_page(Results(rows=se_rows()))
    assert "1 of 1 items are confirmed" in text and "do not confirm" not in text
    assert "**disagree**" in text and "0.5 times" in text


@pytest.mark.parametrize("rows", [se_rows(derived_verdict="disagree"), se_rows(plot_verdict="agree"),
                                  se_rows(plot_factor=1.0)])
def test_errata_say_so_when_the_se_rows_contradict_the_item(rows):
    text = errata_page(Results(rows=rows))
    assert "0 of 1 items are confirmed" in text and "do not confirm this item" in text


def ce_kl_rows(kl_values, closed_verdict="agree"):
    ce = np.array([[-1.0, -2.0], [-0.5, -3.0]])
    return [row("CE(p) y soft", values=ce), row("KL(p) y soft", values=kl_values),
            row("CE(p) y soft", "closed_form", "-y / p", "agree"),
            row("KL(p) y soft", "closed_form", "-y / p", closed_verdict)]


def test_errata_compare_the_ce_and_kl_gradients_they_were_given():
    ce = np.array([[-1.0, -2.0], [-0.5, -3.0]])
    assert "1 of 1 items are confirmed" in errata_page(Results(rows=ce_kl_rows(ce)))
    # ∂KL/∂p equal to ∂(−CE)/∂p would make the course right: the page must not confirm the item.
    text = errata_page(Results(rows=ce_kl_rows(-ce)))
    assert "0 of 1" in text and "do not confirm" in text
    # A closed form −y/p that disagrees is reported as such.
    text = errata_page(Results(rows=ce_kl_rows(ce, closed_verdict="disagree")))
    assert "KL(p) y soft: disagree" in text and "do not confirm" in text


def test_errata_read_the_counter_examples_from_the_results():
    results = Results(
        target_sum=TargetSum("torch.autograd", np.array([0.3, -0.2]), np.array([0.5, 0.7]),
                             autograd=np.array([0.1225, -0.3225]), p_minus_y=np.array([0.1225, -0.3225]),
                             p_sum_y_minus_y=np.array([0.247, -0.247])),
        sampled_l1=SampledL1(np.array([0.5, 0.5]), np.zeros(2), np.array([0.5, 0.5]), 0.0, 0.0))
    text = errata_page(results)
    # Autograd equal to p − y, and the plotted L1 equal to the true one: neither item is confirmed.
    assert "0 of 2 items are confirmed" in text
    assert "2*0.5*0.5" not in text


def test_errata_report_rounding_that_matches_the_slides():
    # Values that round to the slide's numbers must not be called wrongly rounded.
    facts = SoftmaxFacts(lecture=[("[1, 2]", np.array([1.0, 2.0]), np.array([0.2600, 0.7300]),
                                   np.array([1 / 3, 2 / 3])),
                                  ("[11, 12]", np.array([11.0, 12.0]), np.array([0.27, 0.73]),
                                   np.array([0.4700, 0.5300]))],
                         z=np.array([1.0, 2.0]), shift=100.0, factor=3.0, softmax_shift=0.0,
                         softmax_scale=0.3, normalize_shift=0.2, normalize_scale=0.0)
    text = errata_page(Results(softmax=facts))
    assert "0 of 1 items are confirmed" in text and "off by" not in text


def logic_results(xor_weights=None):
    tables = {"AND": (-1, -1, -1, 1), "XOR": (-1, 1, 1, -1), "XNOR": (1, -1, -1, 1),
              "TRUE": (1, 1, 1, 1)}
    found = []
    for name, table in tables.items():
        weights = xor_weights if name == "XOR" else (None if name == "XNOR" else (1.0, 1.0, -1.0))
        found.append(LogicResult(name, table, weights, "feasible" if weights else "infeasible",
                                 0 if weights else 2, np.array(table, dtype=float)))
    return found


def test_the_logic_page_compares_its_count_with_the_course(tmp_path):
    text = logic_page(Results(logic=logic_results()), tmp_path)
    # 3 non-constant functions, 1 of them single-neuron: not the course's 12.
    assert "**3 non-constant functions, 1 of them realizable by one neuron**" in text
    assert "differs from ours" in text and "is the same" not in text


def test_the_logic_page_notices_a_network_that_computes_the_wrong_table(tmp_path):
    found = logic_results()
    found[0] = LogicResult("AND", (-1, -1, -1, 1), (1.0, 1.0, -1.0), "feasible", 0,
                           np.array([-1.0, 1.0, -1.0, 1.0]))
    text = logic_page(Results(logic=found), tmp_path)
    assert "do not output their function's table" in text and "AND" in text


def loss_results(kl_curvature, se_curvature, se_far=-1.2e-3):
    d = np.linspace(-10, 10, 5)
    y_curves = {name: np.linspace(0, 1, 5) for name in ("KL", "CE", "SE", "L1")}
    grads = {name: np.full(5, -0.9) for name in ("KL", "CE", "L1")}
    grads["SE"] = np.full(5, se_far)
    grads["course plot (2·…)"] = 0.5 * grads["SE"]
    return LossCurves("jax.jit", d, {0.9: y_curves}, {0.9: grads}, 0.1,
                      {"KL": kl_curvature, "SE": se_curvature})


def test_the_losses_page_follows_the_curvatures_it_is_given(tmp_path):
    flatter = losses_page(Results(losses=loss_results(0.09, 0.0324)), tmp_path)
    assert "SE is 2.8× flatter there, as the course says" in flatter
    steeper = losses_page(Results(losses=loss_results(0.01, 0.05)), tmp_path)
    assert "not flatter" in steeper and "as the course says" not in steeper


def test_the_losses_page_says_when_se_has_not_vanished(tmp_path):
    text = losses_page(Results(losses=loss_results(0.09, 0.03, se_far=-0.8)), tmp_path)
    assert "has not vanished" in text and "almost vanished" not in text


def test_invariance_sentences_follow_the_measured_differences():
    assert _invariance("Softmax", 0.0, 0.3) == "Softmax ignores an added constant but changes with a factor."
    assert "changes with an added constant" in _invariance("Softmax", 0.2, 0.3)


def test_a_page_without_random_inputs_claims_no_seed():
    results = Results(rows=[row(exercise="polynomial")], seed=0, seeded=("softmax",))
    text = header("t", results.inputs_of(results.rows))
    assert "default_rng" not in text and "hypothesis" not in text and "no random inputs" in text
    seeded = Results(rows=[row(exercise="softmax")], seed=7, seeded=("softmax",))
    assert "default_rng(7)" in header("t", seeded.inputs_of(seeded.rows))


def test_polynomials_are_written_from_their_coefficients():
    assert polynomial_text((5, -4, 3, -2, 1)) == "x⁴ − 2x³ + 3x² − 4x + 5"
    assert polynomial_text((-12, 24)) == "24x − 12"
    assert polynomial_text((0,)) == "0"


def diffusion_results(counts, full_size=None):
    """Diffusion results with the given counts, a 2-step tiny sample and v1.4's full-size shapes."""
    torch = pytest.importorskip("torch")
    from lab.diffusion.sampling import Sample
    from lab.report.results import Diffusion

    sample = Sample(torch.zeros(2, 77, dtype=torch.int64), torch.zeros(2, 77, 16),
                    torch.zeros(1, 4, 8, 8), torch.zeros(1, 3, 16, 16), [torch.zeros(3, 16, 16)] * 2)
    shapes = full_size or {"text_tokens": (2, 77), "text_vectors": (2, 77, 768),
                           "image_vectors": (1, 4, 64, 64), "rgb_vectors": (1, 3, 512, 512)}
    return Results(diffusion=Diffusion(counts, dict(prompt="p", seed=0, steps=2, guidance=5.0,
                                                    dtype="float32", device="cpu"), sample, 0.0,
                                       shapes, 4, 4, 0.18215))


def counts(unet_tensors=686, unet_modules=709):
    pytest.importorskip("diffusers")
    from lab.diffusion.inspection import ComponentCount

    return [ComponentCount("vae", "AutoencoderKL", 220, 248, 83_653_863),
            ComponentCount("unet", "UNet2DConditionModel", unet_modules, unet_tensors, 859_520_964)]


def test_the_diffusion_page_says_which_counts_differ_from_the_course(tmp_path):
    from lab.report.diffusion_page import diffusion_page

    text = diffusion_page(diffusion_results(counts(unet_tensors=685)), tmp_path)
    assert "parameter tensor counts differ from the course's for unet" in text
    assert "module counts differ from the course's for unet" in text
    assert "Every count" not in text and "every parameter tensor and scalar is the same" not in text


def test_the_diffusion_page_explains_module_counts_only_when_parameters_match(tmp_path):
    from lab.report.diffusion_page import diffusion_page

    text = diffusion_page(diffusion_results(counts()), tmp_path)
    assert "module counts differ from the course's for unet" in text
    assert "every parameter tensor and scalar is the same" in text
    same = diffusion_page(diffusion_results(counts(unet_modules=686)), tmp_path)
    assert "Every count of vae and unet equals the course's." in same


def test_the_diffusion_page_compares_the_full_size_shapes(tmp_path):
    from lab.report.diffusion_page import diffusion_page

    shapes = {"text_tokens": (2, 77), "text_vectors": (2, 77, 1024), "image_vectors": (1, 4, 96, 96),
              "rgb_vectors": (1, 3, 768, 768)}
    text = diffusion_page(diffusion_results(counts(), shapes), tmp_path)
    assert "text_vectors, image_vectors and rgb_vectors differ from the course's" in text
    assert "every one equals the course's shape" not in text
    assert "1×4×96×96" in text and "2×77×768" in text  # ours beside the course's


def gradbench_rows(closed_verdict="agree"):
    rows = []
    for case, form in (("lse n=8", "softmax(x)"), ("llsq n=16 m=6", "V^T (V x - s)")):
        rows += [row(case=case, exercise="gradbench", backend="jax", variant="jit", max_error=1e-16),
                 row(case=case, exercise="gradbench", backend="closed_form", variant=form,
                     verdict=closed_verdict, max_error=1e-16 if closed_verdict == "agree" else 0.4)]
    return rows


def test_the_gradbench_page_derives_the_closed_forms_and_reads_the_rows(tmp_path):
    from lab.report.gradbench_page import gradbench_page

    text = gradbench_page(Results(rows=gradbench_rows()), tmp_path)
    assert "∂lse/∂xₖ = (1/S)" in text and "∇llsq = −Vᵀr = Vᵀ(Vx − s)" in text
    assert "the closed forms softmax(x) and diag(p) − p pᵀ: its one row agrees" in text
    assert "No exceptions" in text and "| jax.jit |" in text
    wrong = gradbench_page(Results(rows=gradbench_rows("disagree")), tmp_path)
    assert "not every row agrees (1 disagree)" in wrong
    assert "Exceptions (2;" in wrong and "**2 not as expected**" in wrong
