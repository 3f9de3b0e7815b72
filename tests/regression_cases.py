"""Derivatives whose true values nobody on the team chose: published test cases and edge cases.

Every case is one `lab diff EXPR --order K --at POINTS [--wrt VAR] [--backend ...] --json` call and
the true value of the derivative at each point, recorded below as a decimal string (None where the
derivative does not exist). The points are what `--at` parses: the float64 nearest to the typed
decimal, taken as the exact binary number it stores (1.0000000000000002 is 1 + 2**-52). A constant
typed inside the expression is the decimal it spells, an exact rational (1.0000000000000002 there
is 1 + 2e-16): that is the function the user wrote. Only one case depends on the difference.

Where the values come from:

* Squire & Trapp, "Using complex variables to estimate derivatives of real functions", SIAM Review
  40 (1998) 110-112, and Martins, Sturdza & Alonso, "The complex-step derivative approximation",
  ACM TOMS 29 (2003) 245-262: f(x) = exp(x)/sqrt(sin(x)**3 + cos(x)**3) at x = 1.5, whose
  derivative they print as 4.05342789389862 (`published`).
* numdifftools (github.com/pbrod/numdifftools, commit c48563b9a7f6b3a948896a7affbeb8a47163114f):
  src/numdifftools/example_functions.py (the functions and closed-form derivatives that
  tests/test_example_functions.py checks at x = 0.5) and src/numdifftools/tests/test_numdifftools.py
  (its explicit points and printed values).
* SciPy (github.com/scipy/scipy, commit 3dbf660a919b1479cdf30d533176053b428d08d3):
  scipy/differentiate/tests/test_differentiate.py (the scalar cases of TestDerivative, the
  Wikipedia examples of TestJacobian and the Rosenbrock cases of TestHessian, one Jacobian or
  Hessian-diagonal entry per case: `lab diff` takes one partial derivative at a time). Its random
  points are np.random.default_rng(458912319542).random(m), as the tests draw them.
* Edge cases a trustworthy lab must get right, with true values derived by hand below.

Every recorded value was computed with mpmath at 60 significant digits from `formula` (the source's
closed form of the derivative, or one derived here) and checked against `mpmath.diff` of
`function` (an independent numerical derivative at high precision); test_regression.py repeats both
computations, so a typo in a string fails a test. Nothing here was computed by `lab`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath as mp

ND = "numdifftools c48563b9 "
SP = "scipy 3dbf660a scipy/differentiate/tests/test_differentiate.py "
# np.random.default_rng(458912319542).random(5): the first m of them are the point of an m-variable
# example in SciPy's TestJacobian.test_examples and TestHessian.test_example (size=()).
R = ("0.9617684932329527", "0.2457103835496781", "0.9236224825972241", "0.8795635485451425",
     "0.16395327568845386")
ROSEN5 = " + ".join(f"100*(x{i + 1} - x{i}**2)**2 + (1 - x{i})**2" for i in range(1, 5))
ROSEN3 = " + ".join(f"100*(x{i + 1} - x{i}**2)**2 + (1 - x{i})**2" for i in range(1, 3))


def _mp_rosen(*x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


@dataclass(frozen=True)
class Case:
    id: str
    expr: str  # in the `lab diff` grammar
    order: int
    at: str  # the --at text, exactly as typed
    true: tuple[str | None, ...]  # the true derivative at each point; None: it does not exist
    source: str  # where the case and its value come from
    wrt: str | None = None
    backends: tuple[str, ...] = ()  # --backend NAME ...; () = every backend
    must_agree: tuple[str, ...] = ()  # backends every variant of which must say "agree"
    function: Callable | None = None  # mpmath: the function, of the variables by name
    formula: Callable | None = None  # mpmath: the closed form of the derivative
    published: tuple[str | None, ...] = ()  # the digits the source prints, where it prints any

    @property
    def is_edge(self) -> bool:
        return self.id.startswith("edge-")

    def argv(self) -> list[str]:
        args = ["diff", self.expr, "--order", str(self.order), f"--at={self.at}", "--json"]
        if self.wrt:
            args += ["--wrt", self.wrt]
        if self.backends:
            args += ["--backend", *self.backends]
        return args

    def points(self) -> list[dict[str, mp.mpf]]:
        """Each point as {variable: the typed decimal, exactly}, as `--at` takes it."""
        if "=" not in self.at:
            return [{self.wrt or "x": mp.mpf(v)} for v in self.at.split(",")]
        return [{k.strip(): mp.mpf(v) for k, v in (pair.split("=") for pair in chunk.split(","))}
                for chunk in self.at.split(";")]


def _sinc4(x):
    """d^4/dx^4 sin(x)/x = sum_{k>=2} (-1)^k (2k)!/(2k-4)! x^(2k-4) / (2k+1)!, from the Taylor
    series sin(x)/x = sum_k (-1)^k x^(2k)/(2k+1)!; 0.2 at x = 0."""
    return mp.nsum(lambda k: (-1) ** k * mp.ff(2 * k, 4) * x ** (2 * k - 4) / mp.factorial(2 * k + 1),
                   [2, mp.inf])


def _geometric4(x):
    """(x**8 - 1)/(x - 1) = 1 + x + ... + x**7 for x != 1, so its 4th derivative is
    sum_{k=4..7} k!/(k-4)! x^(k-4) (1344 at x = 1): exact here, x = 1 + 2**-52 has 53 bits."""
    return sum(mp.ff(k, 4) * x ** (k - 4) for k in range(4, 8))


def _squire_trapp_d2(x):
    """f = exp(x) g^(-1/2), g = sin^3 + cos^3: f' = f h with h = 1 - g'/(2g), so
    f'' = f (h^2 + h') with h' = -(g'' g - g'^2)/(2 g^2)."""
    s, c = mp.sin(x), mp.cos(x)
    g = s ** 3 + c ** 3
    g1 = 3 * s ** 2 * c - 3 * c ** 2 * s
    g2 = 6 * s * c ** 2 - 3 * s ** 3 + 6 * c * s ** 2 - 3 * c ** 3
    h = 1 - g1 / (2 * g)
    return mp.exp(x) / mp.sqrt(g) * (h ** 2 - (g2 * g - g1 ** 2) / (2 * g ** 2))


CASES: tuple[Case, ...] = (
    # --- Squire & Trapp (1998), Martins et al. (2003) ---------------------------------------------
    Case("squire-trapp-d1", "exp(x)/sqrt(sin(x)**3 + cos(x)**3)", 1, "1.5",
         true=("4.053427893898620657714187925608000714383",),
         source="Squire & Trapp 1998 / Martins et al. 2003 (complex-step test function): f'(1.5) "
                "printed as 4.05342789389862; value by mpmath (quotient rule)",
         function=lambda x: mp.exp(x) / mp.sqrt(mp.sin(x) ** 3 + mp.cos(x) ** 3),
         formula=lambda x: mp.exp(x) / mp.sqrt(mp.sin(x) ** 3 + mp.cos(x) ** 3) * (
             1 - 3 * (mp.cos(x) * mp.sin(x) ** 2 - mp.sin(x) * mp.cos(x) ** 2)
             / (2 * (mp.sin(x) ** 3 + mp.cos(x) ** 3))),
         published=("4.05342789389862",)),
    Case("squire-trapp-d2", "exp(x)/sqrt(sin(x)**3 + cos(x)**3)", 2, "1.5",
         true=("9.463073681596603352536432998523086856136",),
         source="Squire & Trapp 1998 function, second derivative at 1.5 (none published): "
                "f'' = f (h^2 + h'), h = 1 - g'/(2g), g = sin^3 + cos^3",
         function=lambda x: mp.exp(x) / mp.sqrt(mp.sin(x) ** 3 + mp.cos(x) ** 3),
         formula=_squire_trapp_d2),

    # --- numdifftools example_functions.py at x = 0.5 (test_example_functions.py) ----------------
    Case("nd-cos-d5", "cos(x)", 5, "0.5", true=("-0.4794255386042030002732879352155713880818",),
         source=ND + "example_functions.derivative_cos(5) = -sin",
         function=lambda x: mp.cos(x), formula=lambda x: -mp.sin(x)),
    Case("nd-sin-d3", "sin(x)", 3, "0.5", true=("-0.8775825618903727161162815826038296519916",),
         source=ND + "example_functions.derivative_sin(3) = -cos",
         function=lambda x: mp.sin(x), formula=lambda x: -mp.cos(x)),
    Case("nd-tan-d4", "tan(x)", 4, "0.5", true=("16.43034383509371615925301175449067176467",),
         source=ND + "example_functions.derivative_tan(4) = 8y(y^2+1)(3y^2+2), y = tan x",
         function=lambda x: mp.tan(x),
         formula=lambda x: 8 * mp.tan(x) * (mp.tan(x) ** 2 + 1) * (3 * mp.tan(x) ** 2 + 2)),
    Case("nd-cosh-d2", "cosh(x)", 2, "0.5", true=("1.127625965206380785226225161402672012548",),
         source=ND + "example_functions.derivative_cosh(2) = cosh",
         function=lambda x: mp.cosh(x), formula=lambda x: mp.cosh(x)),
    Case("nd-sinh-d5", "sinh(x)", 5, "0.5", true=("1.127625965206380785226225161402672012548",),
         source=ND + "example_functions.derivative_sinh(5) = cosh",
         function=lambda x: mp.sinh(x), formula=lambda x: mp.cosh(x)),
    Case("nd-tanh-d4", "tanh(x)", 4, "0.5", true=("3.952219563724583050878543792908697526567",),
         source=ND + "example_functions.derivative_tanh(4) = 8y(y^2-1)(3y^2-2), y = tanh x",
         function=lambda x: mp.tanh(x),
         formula=lambda x: 8 * mp.tanh(x) * (mp.tanh(x) ** 2 - 1) * (3 * mp.tanh(x) ** 2 - 2)),
    Case("nd-arcsinh-d3", "log(x + sqrt(x**2 + 1))", 3, "0.5",
         true=("-0.2862167011199730811403742295976033581364",),
         source=ND + "example_functions.derivative_arcsinh(3) = (3(xy)^2-1)y^3, y = 1/sqrt(1+x^2) "
                     "(arcsinh written as log(x + sqrt(x^2+1)): the grammar has no asinh)",
         function=lambda x: mp.asinh(x),
         formula=lambda x: (3 * (x / mp.sqrt(1 + x ** 2)) ** 2 - 1) / mp.sqrt(1 + x ** 2) ** 3),
    Case("nd-exp-d6", "exp(x)", 6, "0.5", true=("1.648721270700128146848650787814163571654",),
         source=ND + "example_functions.derivative_exp(6) = exp",
         function=lambda x: mp.exp(x), formula=lambda x: mp.exp(x)),
    Case("nd-expm1-d1", "exp(x) - 1", 1, "0.5", true=("1.648721270700128146848650787814163571654",),
         source=ND + "example_functions.derivative_expm1(1) = exp (expm1 written exp(x) - 1)",
         function=lambda x: mp.expm1(x), formula=lambda x: mp.exp(x)),
    Case("nd-exp2-d7", "2**x", 7, "0.5", true=("0.10871593996519870108261566389867694881",),
         source=ND + "example_functions.derivative_exp2(7) = 2^x log(2)^7",
         function=lambda x: mp.power(2, x), formula=lambda x: mp.power(2, x) * mp.log(2) ** 7),
    Case("nd-square-d3", "x**2", 3, "0.5", true=("0",),
         source=ND + "example_functions.derivative_square(3) = 0",
         function=lambda x: x ** 2, formula=lambda x: mp.mpf(0)),
    Case("nd-sqrt-d5", "sqrt(x)", 5, "0.5", true=("74.24621202458749006208865802100914912491",),
         source=ND + "example_functions.derivative_sqrt(5) = (105/32) x^(-9/2)",
         function=lambda x: mp.sqrt(x), formula=lambda x: mp.mpf(105) / 32 / mp.sqrt(x) ** 9),
    Case("nd-log-d4", "log(x)", 4, "0.5", true=("-96.0",),
         source=ND + "example_functions.derivative_log(4) = (-1)^5 gamma(4)/x^4",
         function=lambda x: mp.log(x), formula=lambda x: -mp.gamma(4) / x ** 4),
    Case("nd-log1p-d5", "log(1 + x)", 5, "0.5", true=("3.16049382716049382716049382716049382716",),
         source=ND + "example_functions.derivative_log1p(5) = gamma(5)/(1+x)^5 (log1p written "
                     "log(1 + x))",
         function=lambda x: mp.log1p(x), formula=lambda x: mp.gamma(5) / (1 + x) ** 5),
    Case("nd-log10-d3", "log(x)/log(10)", 3, "0.5", true=("6.94871171045202924241806270266568131671",),
         source=ND + "example_functions.derivative_log10(3) = gamma(3)/x^3/log(10)",
         function=lambda x: mp.log10(x), formula=lambda x: mp.gamma(3) / x ** 3 / mp.log(10)),
    Case("nd-log2-d2", "log(x)/log(2)", 2, "0.5", true=("-5.770780163555853629439698724007568549707",),
         source=ND + "example_functions.derivative_log2(2) = -gamma(2)/x^2/log(2)",
         function=lambda x: mp.log(x, 2), formula=lambda x: -mp.gamma(2) / x ** 2 / mp.log(2)),
    Case("nd-arccos-d3", "acos(x)", 3, "0.5", true=("-3.079201435678004077382126829343773096787",),
         source=ND + "example_functions.derivative_arccos(3) = -y^3(1+3(xy)^2), y = 1/sqrt(1-x^2)",
         function=lambda x: mp.acos(x),
         formula=lambda x: -(1 + 3 * (x / mp.sqrt(1 - x ** 2)) ** 2) / mp.sqrt(1 - x ** 2) ** 3),
    Case("nd-arcsin-d2", "asin(x)", 2, "0.5", true=("0.7698003589195010193455317073359432741968",),
         source=ND + "example_functions.derivative_arcsin(2) = x y^3, y = 1/sqrt(1-x^2)",
         function=lambda x: mp.asin(x), formula=lambda x: x / mp.sqrt(1 - x ** 2) ** 3),
    Case("nd-arctan-d4", "atan(x)", 4, "0.5", true=("3.6864",),
         source=ND + "example_functions.derivative_arctan(4) = 24x y^3 (1-2x^2 y), y = 1/(1+x^2)",
         function=lambda x: mp.atan(x),
         formula=lambda x: 24 * x * (1 - 2 * x ** 2 / (1 + x ** 2)) / (1 + x ** 2) ** 3),

    # --- numdifftools tests/test_numdifftools.py --------------------------------------------------
    Case("nd-cos-d2-at-pi/2", "cos(x)", 2, "1.5707963267948966",
         true=("-1.923132169163975144209858469968755172506e-17",),
         source=ND + "test_high_order_derivative_cos: cos at np.pi/2, true_vals[2] = 0 (exactly "
                     "-cos(x) = -1.9e-17 at the typed decimal, taken exactly)",
         function=lambda x: mp.cos(x), formula=lambda x: -mp.cos(x)),
    Case("nd-cos-d3-at-pi/2", "cos(x)", 3, "1.5707963267948966",
         true=("0.9999999999999999999999999999999998150781",),
         source=ND + "test_high_order_derivative_cos: cos at np.pi/2, true_vals[3] = 1",
         function=lambda x: mp.cos(x), formula=lambda x: mp.sin(x), published=("1.0",)),
    Case("nd-cos-d1-examples", "cos(x)", 1, "7.6564547238847105,8.9428143931508,2.2204460492503134e-14",
         true=("-0.9805549073306741131019852409691590289623", "-0.4635199587133987765747624988223203149261",
               "-2.220446049250313399999999999817539262458e-14"),
         source=ND + "test_derivative_of_cos_x: its three hypothesis @example points, "
                     "true_vals[0] = -sin(x)",
         function=lambda x: mp.cos(x), formula=lambda x: -mp.sin(x)),
    Case("nd-cos-d6-examples", "cos(x)", 6, "7.6564547238847105,8.9428143931508,2.2204460492503134e-14",
         true=("-0.1962449329530143625374463600766708858694", "0.8860864787786399201627425498769410640043",
               "-0.9999999999999999999999999997534809671184"),
         source=ND + "test_derivative_of_cos_x: its three @example points, true_vals[5] = -cos(x)",
         function=lambda x: mp.cos(x), formula=lambda x: -mp.cos(x)),
    Case("nd-sin-d1-linspace", "sin(x)", 1,
         "0.0,0.5235987755982988,1.0471975511965976,1.5707963267948966,2.0943951023931953,"
         "2.617993877991494,3.141592653589793,3.665191429188092,4.1887902047863905,"
         "4.71238898038469,5.235987755982988,5.759586531581287,6.283185307179586",
         true=("1.0", "0.8660254037844386833022767860262257780859",
               "0.5000000000000001265732625934656471860535", "1.923132169163975144209858469968755172506e-17",
               "-0.4999999999999998334560151915125503781052", "-0.86602540378443846407095509438641883834",
               "-0.9999999999999999999999999999999715677839", "-0.8660254037844387025335984776659741454252",
               "-0.5000000000000004196905099954186867155213",
               "1.423060349250807456737042459009368609618e-16",
               "0.4999999999999993671336870326716038618246", "0.866025403784438344839633402746567315733",
               "0.9999999999999999999999999999998862711354"),
         source=ND + "test_derivative_sin: sin at np.linspace(0, 2*np.pi, 13), true value cos(x)",
         function=lambda x: mp.sin(x), formula=lambda x: mp.cos(x)),
    Case("nd-log-d1-at-0.001", "log(x)", 1, "0.001", true=("1000.0",),
         source=ND + "test_central_and_forward_derivative_on_log: log at 0.001, true value 1/x",
         function=lambda x: mp.log(x), formula=lambda x: 1 / x),
    Case("nd-hessdiag-z", "x + y**2 + z**3", 2,
         "x=1,y=2,z=3;x=0.0,y=16.003907623933742,z=68.02057249966789;"
         "x=1.2009289063e-314,y=1.2009289063e-314,z=1.2009289063e-314;"
         "x=88.01663712016305,y=88.01663712016305,z=88.01663712016305;"
         "x=0.0,y=19.945812226807096,z=54.11322414875562", wrt="z",
         true=("18.0", "408.12343499800734",
               "7.2055734378e-314",
               "528.0998227209783", "324.67934489253372"),
         source=ND + "TestHessdiag: x0 + x1^2 + x2^3 at [1,2,3] (htrue 18) and test_fixed_step's "
                     "@example points (one subnormal), d2/dz2 = 6z",
         function=lambda x, y, z: x + y ** 2 + z ** 3, formula=lambda x, y, z: 6 * z,
         published=("18.0", None, None, None, None)),
    Case("nd-issue39-dx", "1/(exp(x) + cos(y) + 10)", 1, "x=1,y=2", wrt="x",
         true=("-0.01796112376218773641777827608737969964634",),
         source=ND + "TestGradient.test_issue_39: gradient at [1, 2], first entry",
         function=lambda x, y: 1 / (mp.exp(x) + mp.cos(y) + 10),
         formula=lambda x, y: -mp.exp(x) / (mp.exp(x) + mp.cos(y) + 10) ** 2,
         published=("-0.017961123762187736",)),
    Case("nd-issue39-dy", "1/(exp(x) + cos(y) + 10)", 1, "x=1,y=2", wrt="y",
         true=("0.006008208364882199606008681583233342065304",),
         source=ND + "TestGradient.test_issue_39: gradient at [1, 2], second entry",
         function=lambda x, y: 1 / (mp.exp(x) + mp.cos(y) + 10),
         formula=lambda x, y: mp.sin(y) / (mp.exp(x) + mp.cos(y) + 10) ** 2,
         published=("0.0060082083648822",)),
    Case("nd-jacobian-scalar-dx", "x*y*z + exp(x)*y", 1, "x=3,y=5,z=7", wrt="x",
         true=("135.4276846159383387046426482729085894849",),
         source=ND + "TestJacobian.test_on_scalar_function at [3, 5, 7], first entry",
         function=lambda x, y, z: x * y * z + mp.exp(x) * y,
         formula=lambda x, y, z: y * z + mp.exp(x) * y, published=("135.42768462",)),
    Case("nd-jacobian-scalar-dy", "x*y*z + exp(x)*y", 1, "x=3,y=5,z=7", wrt="y",
         true=("41.08553692318766774092852965458171789699",),
         source=ND + "TestJacobian.test_on_scalar_function at [3, 5, 7], second entry",
         function=lambda x, y, z: x * y * z + mp.exp(x) * y,
         formula=lambda x, y, z: x * z + mp.exp(x), published=("41.08553692",)),
    Case("nd-hessian-cos-x-y", "cos(x - y)", 2, "x=0,y=0", wrt="x", true=("-1.0",),
         source=ND + "TestHessian.test_hessian_cos_x_y_at_0_0: htrue[0][0] = -1",
         function=lambda x, y: mp.cos(x - y), formula=lambda x, y: -mp.cos(x - y),
         published=("-1.0",)),

    # --- SciPy scipy/differentiate/tests/test_differentiate.py ------------------------------------
    Case("scipy-2x^0", "2*x**0", 1, "1.5", true=("0",),
         source=SP + "TestDerivative.test_special_cases: f = 2*x**n, n = 0, at 1.5, "
                     "ref = 2*n*x**(n-1)",
         function=lambda x: 2 * x ** 0, formula=lambda x: mp.mpf(0)),
    Case("scipy-2x^2", "2*x**2", 1, "1.5", true=("6.0",),
         source=SP + "TestDerivative.test_special_cases: f = 2*x**n, n = 2, at 1.5, "
                     "ref = 2*n*x**(n-1)",
         function=lambda x: 2 * x ** 2, formula=lambda x: 4 * x),
    Case("scipy-2x^5", "2*x**5", 1, "1.5", true=("50.625",),
         source=SP + "TestDerivative.test_special_cases: f = 2*x**n, n = 5, at 1.5, "
                     "ref = 2*n*x**(n-1)",
         function=lambda x: 2 * x ** 5, formula=lambda x: 10 * x ** 4),
    Case("scipy-c*x-1", "3*x - 1", 1, "2", true=("3.0",),
         source=SP + "TestDerivative.test_special_cases: f = c*x - 1, c = 3, at 2, ref 3",
         function=lambda x: 3 * x - 1, formula=lambda x: mp.mpf(3), published=("3.0",)),
    Case("scipy-exp", "exp(x)", 1,
         "0,0.65,0.7,0.2222222222222222,0.4444444444444444,0.6666666666666666,0.8888888888888888,"
         "1.1111111111111112,1.3333333333333333,1.5555555555555554,1.7777777777777777,2.0",
         true=("1.0", "1.915540829013896070146698192682053318609",
               "2.013752707470476521624549388583065270018", "1.248848869001682143180571901426406430147",
               "1.559623497606780646217109393344774258599", "1.947734041054675726790085137616625866723",
               "2.432425454287207716098278699183503583683", "3.037731777517482852853942685626431748757",
               "3.793667894683177608940707871065909575712", "4.737717859643078489058337218088076310522",
               "5.916693590664329426197164685579228761408", "7.38905609893065022723042746057500781318"),
         source=SP + "TestDerivative test_initial_step (x = 0), test_dtype (x = 0.65, 0.7) and "
                     "test_step_direction (x = linspace(0, 2, 10)): exp, ref exp(x)",
         function=lambda x: mp.exp(x), formula=lambda x: mp.exp(x)),
    Case("scipy-x^3", "x**3", 1, "1,2,3,4", true=("3.0", "12.0", "27.0", "48.0"),
         source=SP + "TestDerivative.test_vectorized_step_direction_args: x**p, p = 3, at 1..4, "
                     "ref p*x**(p-1)",
         function=lambda x: x ** 3, formula=lambda x: 3 * x ** 2,
         published=("3.0", "12.0", "27.0", "48.0")),
    Case("scipy-preserve-shape-x", "x", 1, "0", true=("1.0",),
         source=SP + "TestDerivative.test_preserve_shape: x at 0, ref 1",
         function=lambda x: x, formula=lambda x: mp.mpf(1), published=("1.0",)),
    Case("scipy-preserve-shape-sin3x", "sin(3*x)", 1, "0", true=("3.0",),
         source=SP + "TestDerivative.test_preserve_shape: sin(3x) at 0, ref 3cos(3x)",
         function=lambda x: mp.sin(3 * x), formula=lambda x: 3 * mp.cos(3 * x)),
    Case("scipy-preserve-shape-x+sin10x", "x + sin(10*x)", 1, "0", true=("11.0",),
         source=SP + "TestDerivative.test_preserve_shape: x + sin(10x) at 0, ref 1 + 10cos(10x)",
         function=lambda x: x + mp.sin(10 * x), formula=lambda x: 1 + 10 * mp.cos(10 * x)),
    Case("scipy-preserve-shape-sin20x", "sin(20*x)*(x - 1)**2", 1, "0", true=("20.0",),
         source=SP + "TestDerivative.test_preserve_shape: sin(20x)(x-1)^2 at 0, "
                     "ref 20cos(20x)(x-1)^2 + 2sin(20x)(x-1)",
         function=lambda x: mp.sin(20 * x) * (x - 1) ** 2,
         formula=lambda x: 20 * mp.cos(20 * x) * (x - 1) ** 2 + 2 * mp.sin(20 * x) * (x - 1)),
    Case("scipy-saddle-gh18811", "(x - 1)**3", 1, "1", true=("0",),
         source=SP + "TestDerivative.test_saddle_gh18811 (xfail in SciPy): (x-1)^3 at 1, true 0",
         function=lambda x: (x - 1) ** 3, formula=lambda x: 3 * (x - 1) ** 2),
    Case("scipy-kwargs", "x**4 + 3*x", 1, "1.23", true=("10.443468",),
         source=SP + "TestDerivative.test_kwargs: x**p + c*x, p = 4, c = 3, at 1.23 (float64 "
                     "here), ref p*x**(p-1) + c",
         function=lambda x: x ** 4 + 3 * x, formula=lambda x: 4 * x ** 3 + 3),
    Case("scipy-jac-f1-00", "x**2*y", 1, f"x={R[0]},y={R[1]}", wrt="x",
         true=("0.47263301071652958827607279505174",),
         source=SP + "TestJacobian f1 = [x^2 y, 5x + sin y], entry (0,0) = 2xy",
         function=lambda x, y: x ** 2 * y, formula=lambda x, y: 2 * x * y),
    Case("scipy-jac-f1-11", "5*x + sin(y)", 1, f"x={R[0]},y={R[1]}", wrt="y",
         true=("0.9699647721767657079070916247657930875843",),
         source=SP + "TestJacobian f1 = [x^2 y, 5x + sin y], entry (1,1) = cos y",
         function=lambda x, y: 5 * x + mp.sin(y), formula=lambda x, y: mp.cos(y)),
    Case("scipy-jac-f2-01", "r*cos(phi)", 1, f"r={R[0]},phi={R[1]}", wrt="phi",
         true=("-0.2339457937022426733503875920626936002102",),
         source=SP + "TestJacobian f2 (polar), entry (0,1) = -r sin(phi)",
         function=lambda r, phi: r * mp.cos(phi), formula=lambda r, phi: -r * mp.sin(phi)),
    Case("scipy-jac-f3-02", "r*sin(phi)*cos(th)", 1, f"r={R[0]},phi={R[1]},th={R[2]}", wrt="th",
         true=("-0.1866398412461178227820125938968686056761",),
         source=SP + "TestJacobian f3 (spherical), entry (0,2) = -r sin(phi) sin(th)",
         function=lambda r, phi, th: r * mp.sin(phi) * mp.cos(th),
         formula=lambda r, phi, th: -r * mp.sin(phi) * mp.sin(th)),
    Case("scipy-jac-f4-30", "x3*sin(x1)", 1, f"x1={R[0]},x3={R[2]}", wrt="x1",
         true=("0.5283770417098277575512496055997662610089",),
         source=SP + "TestJacobian f4, entry (3,0) = x3 cos(x1) at (x1, x2, x3) = R[:3] (x2, "
                     "absent from this component, is not given: lab rejects unused variables)",
         function=lambda x1, x3: x3 * mp.sin(x1), formula=lambda x1, x3: x3 * mp.cos(x1)),
    Case("scipy-jac-f5-12", "4*x1**2 - 2*sin(x2*x3)", 1, f"x1={R[0]},x2={R[1]},x3={R[2]}",
         wrt="x3", true=("-0.4788200648356004602004839024608548521858",),
         source=SP + "TestJacobian f5, entry (1,2) = -2 x2 cos(x2 x3)",
         function=lambda x1, x2, x3: 4 * x1 ** 2 - 2 * mp.sin(x2 * x3),
         formula=lambda x1, x2, x3: -2 * x2 * mp.cos(x2 * x3)),
    Case("scipy-jac-rosen-2", ROSEN5, 1, ",".join(f"x{i + 1}={v}" for i, v in enumerate(R)),
         wrt="x3", true=("162.7121448903885315069020779538472183515",),
         source=SP + "TestJacobian rosen (scipy.optimize.rosen, 5 variables), entry 2 of "
                     "rosen_der: 200(x3-x2^2) - 400x3(x4-x3^2) - 2(1-x3)",
         function=lambda x1, x2, x3, x4, x5: _mp_rosen(x1, x2, x3, x4, x5),
         formula=lambda x1, x2, x3, x4, x5: 200 * (x3 - x2 ** 2) - 400 * x3 * (x4 - x3 ** 2)
         - 2 * (1 - x3)),
    Case("scipy-hess-rosen-11", ROSEN3, 2, ",".join(f"x{i + 1}={v}" for i, v in enumerate(R[:3])),
         wrt="x2", true=("-95.000681937933733290915263656468",),
         source=SP + "TestHessian.test_example: rosen, 3 variables, rosen_hess[1,1] = "
                     "202 + 1200x2^2 - 400x3",
         function=lambda x1, x2, x3: _mp_rosen(x1, x2, x3),
         formula=lambda x1, x2, x3: 202 + 1200 * x2 ** 2 - 400 * x3),
    Case("scipy-hess-nfev-yy", "sin(x)*y**3", 2, "x=0.5,y=0.25", wrt="y",
         true=("0.7191383079063045004099319028233570821227",),
         source=SP + "TestHessian.test_nfev: sin(x) y^3 at [0.5, 0.25], d2/dy2 = 6y sin(x)",
         function=lambda x, y: mp.sin(x) * y ** 3, formula=lambda x, y: 6 * y * mp.sin(x)),
    Case("scipy-jac-attrs-10", "sin(2*x)*y**2", 1, "x=0.5,y=0.25", wrt="x",
         true=("0.06753778823351746467511707593037207546654",),
         source=SP + "TestJacobian.test_attrs: [cos(x/2)cos(y), sin(2x)y^2] at [0.5, 0.25], "
                     "entry (1,0) = 2cos(2x)y^2",
         function=lambda x, y: mp.sin(2 * x) * y ** 2, formula=lambda x, y: 2 * mp.cos(2 * x) * y ** 2),

    # --- Edge cases: true values derived here ----------------------------------------------------
    Case("edge-sinc-d4-near-0", "sin(x)/x", 4, "1e-12", true=("0.1999999999999999999999999285714285714286",),
         source="edge: removable singularity; d4/dx4 sin(x)/x from its Taylor series (0.2 at 0)",
         function=lambda x: mp.sin(x) / x, formula=_sinc4),
    Case("edge-geometric-d4-near-1", "(x**8-1)/(x-1)", 4, "1.0000000000000002",
         true=("1344.0000000000006720000000000001152",),
         source="edge: removable singularity; = 1+x+...+x^7, 4th derivative sum k!/(k-4)! x^(k-4) "
                "at x = 1 + 2**-52 exactly (1344 at 1)",
         function=lambda x: sum(x ** k for k in range(8)), formula=_geometric4),
    Case("edge-pole-next-to-1", "1/(x - 1.0000000000000002)", 1, "1",
         true=("-2.5e31",),
         source="edge: the typed constant is the decimal 1.0000000000000002 = 1 + 2e-16 (an exact "
                "rational; the point 1 is exact too): f'(1) = -1/(1 - 1.0000000000000002)^2 = "
                "-1/(2e-16)^2 = -2.5e31 exactly. Float64 programs round the constant to 1 + 2**-52 "
                "and compute -2**104 = -2.03e31, 19% off: they must not agree",
         function=lambda x: 1 / (x - mp.mpf("1.0000000000000002")),
         formula=lambda x: -1 / (x - mp.mpf("1.0000000000000002")) ** 2),
    Case("edge-abs-at-0", "abs(x)", 1, "0", true=(None,),
         source="edge: |x| has no derivative at 0 (left -1, right +1): the reference must be null"),
    Case("edge-abs-d2", "abs(x)", 2, "0.5", true=("0",),
         source="edge: |x| = x for x > 0, so d2/dx2 = 0 at 0.5",
         function=lambda x: abs(x), formula=lambda x: mp.mpf(0)),
    Case("edge-exp-log-negative", "exp(log(x))", 1, "-1", true=(None,),
         source="edge: log(-1) is not real, so neither is exp(log(x)) nor its derivative at -1"),
    Case("edge-2^x-d8-forward", "2**x", 8, "0.5", backends=("finite.forward",),
         true=("0.07535614726880175843747641264729921175616",),
         source="edge: forward differences cannot reach an 8th derivative; true sqrt(2) log(2)^8",
         function=lambda x: mp.power(2, x), formula=lambda x: mp.sqrt(2) * mp.log(2) ** 8),
    Case("edge-tan-near-pole", "tan(x)", 1, "1.57079632", backends=("finite",),
         true=("21658795107573305.6789339953463933805723605563",),
         source="edge: 6.8e-9 from the pole of tan; true 1/cos(x)^2 = 2.2e16",
         function=lambda x: mp.tan(x), formula=lambda x: 1 / mp.cos(x) ** 2),
    Case("edge-big-offset", "1000000000000 + sin(x)", 1, "1", backends=("finite",),
         true=("0.5403023058681397174009366074429766037323",),
         source="edge: |f| = 1e12 drowns f' = cos(1) in rounding; no finite method may agree "
                "with a wrong value",
         function=lambda x: 10 ** 12 + mp.sin(x), formula=lambda x: mp.cos(x)),
    # --- Issue 20: where the reference used to be wrong and the verdicts inverted --------------
    Case("edge-cancellation-expm1-over-x", "(exp(x)-1)/x", 1, "1e-100", true=("0.5",),
         source="issue 20 (cancellation both precisions lose alike; the reference said 1e100): "
                "(e^x - 1)/x = sum x^k/(k+1)!, so its derivative is sum_{k>=1} k x^(k-1)/(k+1)!, "
                "0.5 + 3.3e-101 at 1e-100",
         function=lambda x: mp.expm1(x) / x,
         formula=lambda x: mp.nsum(lambda k: k * x ** (k - 1) / mp.factorial(k + 1), [1, mp.inf])),
    Case("edge-cancellation-sinc-d2", "sin(x)/x", 2, "1e-300",
         true=("-0.333333333333333333333333333333333333333333333333333333333333",),
         source="issue 20 (a value near zero certified as 0; the reference said 0): d2/dx2 of "
                "sin(x)/x = sum (-1)^k x^(2k)/(2k+1)! termwise, -1/3 + x^2/10 - ... at 1e-300",
         function=lambda x: mp.sin(x) / x,
         formula=lambda x: mp.nsum(lambda k: (-1) ** k * mp.ff(2 * k, 2) * x ** (2 * k - 2)
                                   / mp.factorial(2 * k + 1), [1, mp.inf])),
    Case("edge-near-tie-max-sin", "max(x, sin(x))", 1, "1e-20", true=("1.0",),
         source="issue 20 (a near tie rounded to a tie at 30 digits; the reference said "
                "undefined): x - sin(x) = x^3/6 - ... > 0 at 1e-20, so max is x there, slope 1",
         function=lambda x: max(x, mp.sin(x)), formula=lambda x: mp.mpf(1)),
    Case("edge-kink-x-abs-x", "x*abs(x)", 1, "0", true=("0",),
         source="issue 20 (a differentiable kink called undefined): x|x| = +-x^2 on either side "
                "of 0, one-sided derivatives +-2x, both 0 at 0",
         function=lambda x: x * abs(x), formula=lambda x: 2 * abs(x)),
    Case("edge-kink-relu-squared", "relu(x)**2", 1, "0", true=("0",),
         source="issue 20: relu(x)^2 is x^2 right of 0 and 0 left of it: slopes 2x and 0, both 0",
         function=lambda x: max(x, 0) ** 2, formula=lambda x: 2 * max(x, 0)),
    Case("edge-kink-max-x2-x4-d2", "max(x**2, x**4)", 2, "0", true=("2.0",),
         source="issue 20: x^2 >= x^4 for |x| <= 1, so max(x^2, x^4) = x^2 near 0: second "
                "derivative 2",
         function=lambda x: max(x ** 2, x ** 4), formula=lambda x: mp.mpf(2)),
    Case("edge-kink-partial-x-equals-y", "(x-y)*abs(x-y)", 1, "x=1,y=1;x=0.25,y=0.25", wrt="x",
         true=("0", "0"),
         source="issue 20 (gradients where x = y): (x-y)|x-y| = +-u^2 with u = x - y, so "
                "d/dx = 2|x - y|, 0 where x = y",
         function=lambda x, y: (x - y) * abs(x - y), formula=lambda x, y: 2 * abs(x - y)),
    Case("edge-removable-derivative", "sqrt(x**4 + x**6)", 1, "0", true=("0",),
         source="edge: sqrt(x^4 + x^6) = x^2 sqrt(1 + x^2), derivative 0 at 0, although the "
                "derivative's formula (4x^3 + 6x^5)/(2 sqrt(x^4 + x^6)) is 0/0 there",
         function=lambda x: mp.sqrt(x ** 4 + x ** 6),
         formula=lambda x: x * (2 + 3 * x ** 2) / mp.sqrt(1 + x ** 2)),
    Case("edge-underflow-exp", "exp(x)", 1, "-100001",
         true=("1.31073589500804552104449013534238632629071305426778345712779e-43430",),
         source="issue 20 (underflow called overflow): exp(-100001) = 1.3e-43430, 0 in float64",
         function=lambda x: mp.exp(x), formula=lambda x: mp.exp(x)),
    Case("edge-underflow-erf-d2", "erf(x)", 2, "400",
         true=("-6.89351184261563666218781377378437054203170808824428254659553e-69485",),
         source="issue 20 (underflow called overflow): erf'' = -4x exp(-x^2)/sqrt(pi), "
                "-6.9e-69485 at 400, 0 in float64",
         function=lambda x: mp.erf(x), formula=lambda x: -4 * x * mp.exp(-x ** 2) / mp.sqrt(mp.pi)),
    Case("edge-typed-constant-acosh", "acosh(x+1.0000000000000002)", 1, "0",
         true=("49999999.9999999975000000000000001874999999999964691972791546",),
         source="issue 20 (a typed constant's rounding): the constant is 1 + 2e-16 exactly, "
                "acosh' = 1/sqrt(c^2 - 1) = 5e7 at x = 0; float64 programs hold c as 1 + 2**-52 "
                "and compute 4.7e7: that rounding explains them (inaccurate), never agree",
         function=lambda x: mp.acosh(x + mp.mpf("1.0000000000000002")),
         formula=lambda x: 1 / mp.sqrt((x + mp.mpf("1.0000000000000002")) ** 2 - 1)),
    Case("edge-overflow-exp-exp", "exp(exp(x))", 1, "1e308", true=(None,),
         source="edge: exp(x) exp(exp(x)) at 1e308 exists but lies far beyond float64: the "
                "reference is null (overflow) and no backend may agree"),
    Case("edge-torch-constant-factor", "sin(1)*x", 1, "0.5", backends=("torch",),
         must_agree=("torch",), true=("0.8414709848078965066525023216302989996226",),
         source="edge: a constant factor sin(1) must work in torch; true sin(1)",
         function=lambda x: mp.sin(1) * x, formula=lambda x: mp.sin(1)),
)
