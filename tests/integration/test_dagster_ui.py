"""Seen where users look: the Dagster UI in a real browser (Debian's headless Chromium driven by
Selenium through Debian's chromedriver; no browser or driver is downloaded).

One `dagster-webserver` for the module, on the demo specs plus a files product that `tardis new
--answers` made from a CSV drop in a copy of product_specs/. In the browser: the global asset lineage
filtered to the product shows its raw and std assets; the catalog lists them; "Materialize all" on
that lineage launches one run of both, whose run page turns Success (GraphQL confirms the status);
the std asset page then shows the owners, the description, the schema's columns and the row count.

The instance is the webserver's alone (a temporary DAGSTER_HOME with the default run coordinator:
the webserver launches the run itself, and no daemon runs the demo's sensors). Screenshots are kept
under `.tardis/artifacts/ui/` (their paths are printed). Waits poll with explicit timeouts. The
product's tables have a name of their own and are dropped at the end. Runtime: ~3.5 minutes on a
busy two-core machine (`tardis new` and the webserver's start ~25 s, the run 40-140 s, each page a
few seconds).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from dagster_processes import dagster_processes, free_port, graphql, serving, webserver_command
from repo_root import PROJECT_ROOT
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from typer.testing import CliRunner

from tardis_dagster.tooling.cli import app

pytestmark = pytest.mark.platform

CHROMIUM = Path("/usr/bin/chromium")  # Debian's `chromium` package
CHROMEDRIVER = Path("/usr/bin/chromedriver")  # Debian's `chromium-driver` package
ARTIFACTS = PROJECT_ROOT / ".tardis" / "artifacts" / "ui"
START_TIMEOUT = 180  # seconds until the webserver serves and the code location shows the product
PAGE_TIMEOUT = 60  # seconds for a page's content to appear
RUN_TIMEOUT = 600  # seconds for the launched run to finish
COLUMNS = ["supplier_id", "supplier_name", "contact_email", "rating", "onboarded_on"]
CSV = (
    "supplier_id,supplier_name,contact_email,rating,onboarded_on\n"
    "s1,Green Farm,farm@example.com,4.5,2026-01-04\n"
    "s2,Fish & Co,sales@fishco.example,3.9,2026-02-11\n"
    "s3,Spice Road,hello@spice.example,,2026-03-01\n"
)
# The test's own instance: the webserver launches runs itself (no daemon, so none of the demo's
# sensors or schedules starts a run), and the first-visit newsletter dialog stays closed.
INSTANCE_YAML = """\
telemetry:
  enabled: false
nux:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
"""
RUN_STATUS = """
query ($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status assetSelection { path } } }
}
"""
T = TypeVar("T")


@dataclass
class UI:
    """The running webserver, the product it shows and the browser looking at it."""

    port: int
    name: str
    browser: WebDriver

    def open(self, path: str) -> None:
        self.browser.get(f"http://127.0.0.1:{self.port}{path}")

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / name
        self.browser.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path


def _wait(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (StaleElementReferenceException, WebDriverException):
            value = None  # the page re-rendered under us: look again
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout}s: {what}")
        time.sleep(0.5)


def _product(tmp: Path) -> tuple[Path, str]:
    """A copy of product_specs/ with a files product `tardis new --answers` made from a CSV drop."""
    tree = tmp / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", tree, ignore=shutil.ignore_patterns(".*"))
    drop = tmp / ".tardis" / "drops" / "suppliers"  # beside the spec tree, as a local drop must be
    drop.mkdir(parents=True)
    (drop / "suppliers.csv").write_text(CSV, encoding="utf-8")
    name = f"it_ui_suppliers_{uuid.uuid4().hex[:8]}"  # its tables live in the shared local catalog
    answers = tmp / "answers.yaml"
    answers.write_text(
        "tribe: operations\nsquad: menu\ncontact: '#menu-data'\nstakeholders: ['#supply-analytics']\n"
        f"name: {name}\ndescription: Suppliers of our ingredients, one row each.\nsource: files\n"
        f"uri: {drop}\nschedule: 0 6 * * *\nload_type: full\nkey: [supplier_id]\npii: [contact_email]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["new", "--answers", str(answers), "--specs", str(tree), "--dbt-project", str(tmp / "dbt")]
    )
    assert result.exit_code == 0, result.output
    return tree, name


def _chromium() -> WebDriver:
    """Debian's Chromium, headless, through Debian's chromedriver: an explicit driver path, so
    Selenium Manager (which would download a driver or a browser) is never asked."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    assert not missing, f"{missing} missing: `apt-get install chromium chromium-driver` (.ci/run does)"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=1600,1200",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, spark) -> Iterator[UI]:
    """The webserver on the demo plus the new product, and a browser; the product's tables dropped
    at the end."""
    tmp = tmp_path_factory.mktemp("dagster_ui")
    tree, name = _product(tmp)
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    routing = tmp / "alerts.yaml"
    routing.write_text("log_file:\n  path: alerts.log\n")  # any alert of this test stays in tmp
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "TARDIS_SPECS_DIR": str(tree),
        "TARDIS_ALERTS_CONFIG": str(routing),
        "TARDIS_DAGSTER_URL": f"http://127.0.0.1:{port}",
        "SE_OFFLINE": "1",  # belt and braces: Selenium never goes online for a driver
    }
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # no screenshot of an earlier run passes for this one
    ARTIFACTS.mkdir(parents=True)
    try:
        with dagster_processes({"webserver": webserver_command(port)}, env, tmp / "logs"):
            _wait(lambda: serving(port), START_TIMEOUT, f"the webserver on port {port}; see {tmp / 'logs'}")
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("SE_OFFLINE", "1")
                browser = _chromium()
            try:
                yield UI(port, name, browser)
            finally:
                browser.quit()
    finally:
        for table in (f"raw.{name}", f"raw.{name}__quarantine", f"std.{name}", f"std.{name}__rejects"):
            spark.sql(f"drop table if exists {table}")


def _filter_assets(ui: UI, selection: str) -> None:
    """Type an asset selection into the page's "Search and filter assets" box and press Enter."""
    _wait(
        lambda: ui.browser.find_elements(By.CSS_SELECTOR, "textarea[aria-label='Search and filter assets']"),
        PAGE_TIMEOUT,
        "the 'Search and filter assets' box",
    )
    # The box is a CodeMirror editor: a click on it focuses its hidden textarea, which takes the keys.
    ui.browser.find_element(By.CSS_SELECTOR, ".CodeMirror").click()
    box = ui.browser.find_element(By.CSS_SELECTOR, "textarea[aria-label='Search and filter assets']")
    box.send_keys(selection, Keys.ENTER)
    box.send_keys(Keys.ESCAPE)  # closes its suggestions, which would cover the first row


def _lineage_nodes(ui: UI) -> list[WebElement]:
    """The asset nodes of the lineage graph (SVG foreignObjects) titled with the product's name."""
    nodes = ui.browser.find_elements(By.XPATH, "//*[local-name()='foreignObject']")
    return [node for node in nodes if node.find_elements(By.XPATH, f".//*[@data-tooltip='{ui.name}']")]


def _open_product_lineage(ui: UI) -> list[WebElement]:
    ui.open("/asset-groups")
    _wait(
        lambda: ui.browser.find_elements(By.XPATH, "//*[text()='Global asset lineage']"),
        PAGE_TIMEOUT,
        "lineage",
    )
    _filter_assets(ui, f'+key:"std/{ui.name}"')  # std and what it reads

    def both() -> list[WebElement] | None:
        nodes = _lineage_nodes(ui)
        return nodes if len(nodes) == 2 else None

    return _wait(both, START_TIMEOUT, "the product's raw and std nodes in the lineage graph")


def _button(ui: UI, label: str) -> WebElement:
    return _wait(
        lambda: [
            b
            for b in ui.browser.find_elements(By.XPATH, f"//button[normalize-space()='{label}']")
            if b.is_enabled()
        ],
        PAGE_TIMEOUT,
        f"an enabled '{label}' button",
    )[0]


def _value_of(ui: UI, label: str) -> str:
    """The text shown beside a label of the asset page's sections ("Owners", "Row count", ...)."""
    found = ui.browser.find_elements(By.XPATH, f"//span[normalize-space()='{label}']/following-sibling::*[1]")
    return found[0].text if found else ""


def test_lineage_graph_shows_the_products_assets(ui: UI) -> None:
    _open_product_lineage(ui)

    # The graph lays nodes out before it fills them (and may re-render): read both from the live DOM.
    def raw_and_std() -> tuple[list[WebElement], list[WebElement]] | None:
        nodes = _lineage_nodes(ui)
        raw = [node for node in nodes if node.find_elements(By.CSS_SELECTOR, "[aria-label='csv']")]
        std = [
            node
            for node in nodes
            if node not in raw and node.find_elements(By.CSS_SELECTOR, f"a[href^='/assets/std/{ui.name}']")
        ]
        return (raw, std) if raw and std else None

    # The landing node carries the files' format as a kind; selecting it names its key in the panel.
    raw, std = _wait(raw_and_std, PAGE_TIMEOUT, "the csv kind on raw and std's link on its node")
    assert len(raw) == 1 and len(std) == 1
    ui.screenshot("01-lineage.png")  # both nodes and their edge, before a selection covers one

    def click_raw() -> bool:
        found = raw_and_std()
        if not found:
            return False
        found[0][0].find_element(By.XPATH, f".//*[@data-tooltip='{ui.name}']").click()  # the graph re-renders
        return True

    _wait(click_raw, PAGE_TIMEOUT, "a click on raw's node")
    _wait(
        lambda: ui.browser.find_elements(By.XPATH, f"//*[text()='raw / {ui.name}']"),
        PAGE_TIMEOUT,
        "raw's panel",
    )


def test_catalog_lists_the_product(ui: UI) -> None:
    ui.open("/assets")
    _filter_assets(ui, ui.name)
    for layer in ("raw", "std"):
        _wait(
            lambda layer=layer: ui.browser.find_elements(
                By.CSS_SELECTOR, f"a[href='/assets/{layer}/{ui.name}']"
            ),
            PAGE_TIMEOUT,
            f"{layer} / {ui.name} in the catalog",
        )
    _wait(
        lambda: (
            not ui.browser.find_elements(By.XPATH, "//*[starts-with(normalize-space(text()), 'Loading')]")
        ),
        PAGE_TIMEOUT,
        "the catalog rows' status",
    )
    ui.screenshot("02-catalog.png")


@pytest.fixture(scope="module")
def launched_run(ui: UI) -> str:
    """The run that "Materialize all" on the product's lineage launched, awaited on its run page
    until it shows Success or Failure; its id."""
    _open_product_lineage(ui)
    _button(ui, "Materialize all").click()
    # Each node links to the run materializing it as soon as the run is launched.
    link = _wait(
        lambda: [
            a for n in _lineage_nodes(ui) for a in n.find_elements(By.CSS_SELECTOR, "a[href^='/runs/']")
        ],
        PAGE_TIMEOUT,
        "the launched run on the nodes",
    )[0]
    run_id = link.get_attribute("href").rsplit("/runs/", 1)[1].split("?")[0]
    ui.open(f"/runs/{run_id}")
    _wait(
        lambda: ui.browser.find_elements(
            By.XPATH, "//*[normalize-space()='Success' or normalize-space()='Failure']"
        ),
        RUN_TIMEOUT,
        f"run {run_id} finishing",
    )
    ui.screenshot("03-run.png")
    return run_id


def test_materialize_from_the_ui_succeeds(ui: UI, launched_run: str) -> None:
    assert ui.browser.find_elements(By.XPATH, "//*[normalize-space()='Success']"), (
        "the run page shows no Success"
    )
    assert ui.browser.find_elements(By.XPATH, "//*[normalize-space()='RUN_SUCCESS']")  # its event log
    run = graphql(ui.port, RUN_STATUS, {"runId": launched_run})["data"]["runOrError"]
    assert run["status"] == "SUCCESS"
    assert sorted(k["path"] for k in run["assetSelection"]) == [["raw", ui.name], ["std", ui.name]]


def test_std_asset_page_shows_owners_description_schema_and_row_count(ui: UI, launched_run: str) -> None:
    ui.open("/assets")
    _filter_assets(ui, ui.name)
    _wait(
        lambda: ui.browser.find_elements(By.CSS_SELECTOR, f"a[href='/assets/std/{ui.name}']"),
        PAGE_TIMEOUT,
        "the std asset in the catalog",
    )[0].click()
    _wait(lambda: _value_of(ui, "Row count") == "3", PAGE_TIMEOUT, "a row count of 3 on the std asset page")
    owners = _value_of(ui, "Owners")
    assert "#menu-data" in owners and "menu" in owners.split(), owners
    assert ui.browser.find_elements(By.XPATH, "//*[text()='Suppliers of our ingredients, one row each.']")
    for column in COLUMNS:
        assert ui.browser.find_elements(By.XPATH, f"//td//*[text()='{column}']"), f"column {column} not shown"
    ui.screenshot("04-std-asset-page.png")
