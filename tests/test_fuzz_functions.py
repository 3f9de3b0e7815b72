"""Fuzz `lab diff` with the newer functions (inverse hyperbolics, expm1, log1p, log2, log10, erf,
sign, relu, max, min) and large integer exponents: every input still ends in exit status 0, 1 or
2 — never a traceback — within bounded time and memory (the same worker and limits as test_fuzz)."""

from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz import assert_every_expression_answers

UNARY = ["asinh", "acosh", "atanh", "expm1", "log1p", "log2", "log10", "erf", "sign", "relu", "exp",
         "sin"]
leaves = st.one_of(st.just("x"), st.just("x"),
                   st.sampled_from(["y", "0", "1", "-1", "0.5", "1e-300", "1e300", "999", "1000",
                                    "1001", "-999"]))


def _combine(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})")
    variadic = st.tuples(st.sampled_from(["max", "min"]), st.lists(children, min_size=1, max_size=4)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})")
    binary = st.tuples(children, st.sampled_from(["+", "*", "/", "**"]), children).map(
        lambda t: f"({t[0]}){t[1]}({t[2]})")
    return st.one_of(unary, variadic, binary)


trees = st.recursive(leaves, _combine, max_leaves=8)


@settings(max_examples=examples(1), deadline=None)
@given(st.lists(trees, min_size=40, max_size=40))
def test_every_expression_with_the_new_functions_ends_in_one_line_or_an_answer(texts):
    assert_every_expression_answers(texts)
