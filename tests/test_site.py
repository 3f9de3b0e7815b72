"""The HTML site in a real browser (headless Chromium through selenium): every page loads without
a console error, every internal link resolves, every interactive figure draws, and a heat-map cell
opens the rows it stands for. The site is built from a small set of results, not a whole run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

from lab.check.crosscheck import Row
from lab.report.finite_differences_page import finite_differences_page
from lab.report.losses_page import losses_page
from lab.report.polynomial_page import polynomial_page
from lab.report.results import Results, StepStudy
from lab.report.softmax_page import softmax_page

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")  # Debian's
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
METHODS = (("sympy", "lambdify", "exact"), ("jax", "jit", "ad"), ("finite", "central", "numerical"))


def poly_rows(points: np.ndarray, coefficients: list[tuple]) -> list[Row]:
    """p0's derivatives by three methods and the power rule: exact values plus each method's
    rounding-sized error, except jax order 3, which is planted wrong."""
    rng = np.random.default_rng(0)
    rows = []
    for order in range(1, 5):
        exact = np.polynomial.polynomial.polyval(points, coefficients[order])
        rows.append(Row("polynomial", "p0", "closed_form", "power rule", "closed", "derivative", order,
                        0.0, 1e-15, "agree", values=exact))
        for backend, variant, family in METHODS:
            wrong = backend == "jax" and order == 3
            noise = 0.5 if wrong else 1e-15
            values = exact * (1 + noise * rng.standard_normal(exact.shape))
            rows.append(Row("polynomial", "p0", backend, variant, family, "derivative", order,
                            noise, 1e-13, "disagree" if wrong else "agree", values=values,
                            detail="x = 1.3: expected 1, got 2" if wrong else ""))
    return rows


def other_rows() -> list[Row]:
    """A second exercise: one method unsupported (as expected), two agreeing, among them the
    Jacobian the softmax page draws."""
    from lab.report.softmax_page import GENERAL_FORM, HEATMAP_CASE

    p = np.random.default_rng(1).dirichlet(np.ones(8))
    closed = (np.diag(p) - np.outer(p, p))[None]
    return [Row("softmax", HEATMAP_CASE, "jax", "jit", "ad", "jacobian", 1, 1e-17, 1e-13, "agree",
                values=closed + 1e-17 * np.sign(closed)),
            Row("softmax", HEATMAP_CASE, "closed_form", GENERAL_FORM, "closed", "jacobian", 1, 0.0,
                1e-13, "agree", values=closed),
            Row("softmax", "softmax n=3", "sympy", "lambdify", "exact", "jacobian", 1, 1e-16, 1e-13,
                "agree"),
            Row("softmax", "softmax n=3", "finite", "central", "numerical", "jacobian", 1, None, None,
                "unsupported", detail="no Jacobian stencil"),
            Row("softmax", "softmax n=3", "jax", "jit", "ad", "jacobian", 1, 2e-16, 1e-13, "agree")]


@pytest.fixture(scope="module")
def results() -> Results:
    from lab.studies import lecture
    from lab.studies.steps import STEPS, sweeps

    poly = lecture.polynomial()
    return Results(rows=poly_rows(poly.points, poly.coefficients) + other_rows(), polynomial=poly,
                   steps=StepStudy(STEPS, sweeps()), softmax=lecture.softmax_facts(),
                   losses=lecture.loss_curves(np.linspace(-6.0, 6.0, 25)),
                   target_sum=lecture.target_sum(), sampled_l1=lecture.sampled_l1())


@pytest.fixture(scope="module")
def site(results, tmp_path_factory) -> Path:
    from lab.report import PAGES, index
    from lab.report.site import HEATMAP_TOKEN, write_site

    out = tmp_path_factory.mktemp("report")
    built = {"polynomial.md": polynomial_page, "finite-differences.md": finite_differences_page,
             "softmax.md": softmax_page, "losses.md": losses_page}
    # The pages these results do not cover stand in as one line each, so that the index's links hold.
    texts = {"README.md": ("lab report", index(results, table=lambda rows: HEATMAP_TOKEN + "\n"))}
    texts |= {name: (title, built[name](results, out) if name in built else f"# {title}\n")
              for name, (title, _) in PAGES.items()}
    for name, (_, text) in texts.items():
        (out / name).write_text(text)
    (out / "crosscheck.md").write_text("every row")
    (out / "crosscheck.csv").write_text("exercise\n")
    write_site(results, texts, out / "site")
    return out / "site"


def find_browser() -> tuple[Path, Path] | None:
    """(Chromium or Chrome, its chromedriver) if both are installed."""
    browser = next((Path(p) for p in (CHROMIUM, *map(shutil.which, BROWSERS)) if p and Path(p).exists()),
                   None)
    driver = DRIVER if DRIVER.exists() else shutil.which("chromedriver")
    return (browser, Path(driver)) if browser and driver else None


def install_chromium() -> tuple[Path, Path] | str:
    """The browser and its driver, installing Debian's chromium and chromium-driver with apt-get
    (as root, or through sudo without a password) when none is found; else why there is none."""
    found = find_browser()
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        return "no Chromium or Chrome with chromedriver, and no apt-get to install them"
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            return "no Chromium with chromedriver; installing it with apt-get needs root or sudo"
        apt = f"sudo -n {apt}"
    done = None
    for command in ("install -y chromium chromium-driver", "update",
                    "install -y chromium chromium-driver"):
        done = subprocess.run(f"{apt} {command}".split(), capture_output=True, text=True, timeout=900)
        if find_browser():
            return find_browser()
    return f"apt-get could not install chromium: {(done.stderr.strip().splitlines() or [''])[-1]}"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                    "(pip install -e '.[test]')")
    found = install_chromium()
    if isinstance(found, str):
        print(f"skipping the browser tests: {found}")
        pytest.skip(found)
    binary, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1000",
                 "--allow-file-access-from-files"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=str(driver_path)))
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def open_page(driver, path: Path) -> list[dict]:
    """Load a page, wait until it is complete, and return the browser's console entries."""
    driver.get(path.as_uri())
    driver.execute_script("return document.readyState")
    return driver.get_log("browser")


def pages(site: Path) -> list[Path]:
    return sorted(site.glob("*.html"))


def test_the_site_has_every_page_and_bundles_plotly(site):
    from lab.report import PAGES
    from lab.report.site.layout import html_name

    assert {p.name for p in pages(site)} == {"index.html", "crosscheck.html",
                                              *(html_name(name) for name in PAGES)}
    assert (site / "plotly.min.js").stat().st_size > 1_000_000  # the library itself, not a CDN link
    for page in pages(site):
        assert "https://" not in "".join(
            line for line in page.read_text().splitlines() if "<script src" in line)


def test_every_page_loads_without_a_console_error(site, browser):
    for page in pages(site):
        errors = [e for e in open_page(browser, page) if e["level"] == "SEVERE"]
        assert not errors, f"{page.name}: {errors}"


def test_every_internal_link_resolves(site, browser):
    for page in pages(site):
        open_page(browser, page)
        targets = browser.execute_script(
            "return Array.from(document.querySelectorAll('a[href], img[src], script[src], link[href]'))"
            ".map(e => e.href || e.src)")
        assert targets
        for url in targets:
            parsed = urlparse(url)
            if parsed.scheme != "file":
                continue
            target = Path(unquote(parsed.path))
            assert target.is_file(), f"{page.name} links to missing {target}"
            if parsed.fragment and target.suffix == ".html":
                assert f'id="{parsed.fragment}"' in target.read_text(), f"{page.name}: {url}"


def drawn(png: bytes) -> float:
    """The share of a screenshot's pixels that are not the page's white background."""
    import io

    import matplotlib.pyplot as plt

    pixels = plt.imread(io.BytesIO(png), format="png")[..., :3]
    return float(np.mean(np.any(pixels < 0.95, axis=-1)))


def test_every_figure_draws(site, browser):
    figures = 0
    for page in pages(site):
        open_page(browser, page)
        for element in browser.find_elements("css selector", "div.figure"):
            browser.execute_script("arguments[0].scrollIntoView()", element)
            traces = browser.execute_script(
                "return arguments[0].querySelectorAll('.main-svg .trace, .main-svg .hm').length", element)
            name = element.get_attribute("data-figure")
            assert traces > 0, f"{page.name}: {name} drew no series"
            assert element.size["height"] > 200
            assert drawn(element.screenshot_as_png) > 0.02, f"{page.name}: {name} is blank"
            figures += 1
    assert figures == 4  # polynomial, finite-difference steps, softmax Jacobian, loss curves


def rows_in_fold(browser, fold_id: str) -> list[tuple[str, str]]:
    return browser.execute_script(
        "return Array.from(document.getElementById(arguments[0]).querySelectorAll('tbody tr'))"
        ".map(tr => [tr.dataset.exercise, tr.dataset.method])", fold_id)


@pytest.mark.parametrize("state", ["bad", "agree", "none"])
def test_a_heatmap_cell_opens_its_rows(site, browser, results, state):
    from lab.report.site.rows import method

    open_page(browser, site / "index.html")
    link = browser.find_element("css selector", f'td[data-state="{state}"] a')
    exercise, name = link.get_attribute("data-exercise"), link.get_attribute("data-method")
    link.click()
    fold_id = urlparse(browser.current_url).fragment
    assert browser.current_url.split("#")[0].endswith("/crosscheck.html")
    fold = browser.find_element("id", fold_id)
    assert fold.get_attribute("open") is not None and fold.is_displayed()
    expected = [r for r in results.rows if r.exercise == exercise and method(r) == name]
    shown = rows_in_fold(browser, fold_id)
    assert shown == [[exercise, name]] * len(expected) and expected
    # Its first row is on screen, not hidden in a fold.
    assert fold.find_element("css selector", "tbody tr").is_displayed()


def test_agreeing_rows_are_folded_and_exceptions_come_first(site, browser):
    open_page(browser, site / "crosscheck.html")
    folds = browser.find_elements("css selector", "details")
    opened = {f.get_attribute("id") for f in folds if f.get_attribute("open") is not None}
    # Open: the fold with the planted disagreement and the one with an unsupported row.
    assert opened == {"cell-polynomial-jax-jit", "cell-softmax-finite-central"}
    first = browser.find_element("css selector", "table tbody tr")
    assert first.get_attribute("data-method") == "jax.jit" and "disagree" in first.text


def test_a_table_sorts_by_the_clicked_column(site, browser):
    open_page(browser, site / "crosscheck.html")
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    table = browser.find_element("id", "cell-polynomial-sympy-lambdify").find_element("css selector", "table")
    header = table.find_elements("css selector", "th")[2]  # order
    header.click()
    header.click()
    orders = [int(tr.find_elements("css selector", "td")[2].text)
              for tr in table.find_elements("css selector", "tbody tr")]
    assert orders == sorted(orders, reverse=True) and len(set(orders)) == 4
