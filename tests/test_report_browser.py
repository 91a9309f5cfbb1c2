"""report.html in headless Chromium: the table and the images show, no errors.

Needs the Debian package ``chromium`` (/usr/bin/chromium) and the Python
package ``playwright`` (its own browser download is not used); the test
is skipped when either is missing. The browser runs with no network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import tiny_mnist

from lrlab.compare import run_comparison, write_comparison
from lrlab.config import CompareConfig
from lrlab.data import load_mnist
from lrlab.training import TensorData

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SPECS = ("exponential(gamma=0.8)", "cosine(total_steps=3)")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    data = TensorData.from_mnist(load_mnist(tiny_mnist(root / "tiny")))
    config = CompareConfig(schedules=SPECS, epochs=3, batch_size=30, title="<Test>")
    write_comparison(run_comparison(config, data), root / "run")
    # Alone in a folder: the page must need nothing beside it.
    alone = root / "alone"
    alone.mkdir()
    return Path(shutil.copy(root / "run" / "report.html", alone))


def test_report_shows_table_and_images_without_errors(report, tmp_path):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright"
    )
    problems: list[str] = []
    requests: list[str] = []

    with sync_api.sync_playwright() as playwright:
        # A new profile folder; playwright adds --headless itself.
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=str(CHROMIUM),
            args=FLAGS[1:],
            viewport={"width": 1000, "height": 1400},
        )
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda m: m.type in ("error", "warning") and problems.append(m.text),
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri(), wait_until="load")

            title = page.title()
            header = page.locator("#results thead th").all_inner_texts()
            rows = page.locator("#results tbody tr").all_inner_texts()
            images = page.eval_on_selector_all(
                "img",
                "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight,"
                " i.getBoundingClientRect().width])",
            )
            config_text = page.locator("#config").inner_text()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()

    assert problems == []
    assert requests == [report.as_uri()]  # nothing fetched, from anywhere
    assert title == "<Test>"
    assert header[0] == "schedule"
    assert "final test accuracy" in header[1]
    assert len(rows) == len(SPECS)
    for row, spec in zip(rows, SPECS, strict=True):
        assert row.split("\t")[0].strip() == spec
    assert len(images) == 3
    for complete, width, height, shown in images:
        assert complete and (width, height) == (800, 500) and shown > 300
    assert 'schedules = [\n    "exponential(gamma=0.8)",' in config_text
