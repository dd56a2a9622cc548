"""Screenshots of every dashboard page on the demo portal, for docs/: ``python -m bench.dashboard_screens``.

Runs the demo's sync into a temporary mirror, serves the dashboard in-process and drives Debian's chromium through
chromedriver (selenium, a test dependency): one PNG per page at 1280 px wide, and the overview at 390x844.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sync.app.dashboard import Dashboard, DashboardServer, Data
from sync.app.dashboard.app import PAGES
from sync.app.dashboard.results import store_cycle
from sync.app.demo import run_demo
from sync.app.settings import load_settings
from sync.app.wiring import kpi_config
from sync.storage import Mirror

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def browser_found() -> bool:
    return bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))


def chromium(width: int = 1280, height: int = 900) -> Any:
    """A headless chromium of Debian's package, its console log kept for driver.get_log('browser')."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@contextmanager
def demo_dashboard(folder: Path, **env: str) -> Iterator[tuple[str, Mirror]]:
    """The demo portal's mirror in ``folder`` and its dashboard served on a free port; yields the base URL."""
    path = folder / "demo.db"
    run_demo(path)
    settings = load_settings(db=path, stage_map="1047290193=lead", **env)
    with Mirror(path) as writable:  # the results as a worker with these settings (a goal, say) stores them
        store_cycle(writable, kpi_config(settings, writable), datetime.now(UTC))
    mirror = Mirror.read_only(path)
    data = Data(mirror, lambda: kpi_config(settings, mirror), source_goals=settings.source_goals,
                app_url=settings.hubspot_app_url)
    server = DashboardServer(Dashboard(data), port=0).start()
    try:
        yield server.url.rstrip("/"), mirror
    finally:
        server.stop()
        mirror.close()


def full_page(driver: Any, url: str, out: Path, width: int) -> None:
    driver.set_window_size(width, 900)
    driver.get(url)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 120, 6000))
    driver.save_screenshot(str(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    args.out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, \
            demo_dashboard(Path(tmp), source_goals="ORGANIC_SEARCH=6,PAID_SEARCH=4,REFERRALS=3",
                           monthly_goal="12000") as (url, _):
        driver = chromium()
        try:
            for path in PAGES:
                name = "overview" if path == "/" else path.strip("/")
                full_page(driver, url + path, args.out / f"dashboard-{name}.png", 1280)
                print(f"docs: dashboard-{name}.png")
            full_page(driver, url + "/", args.out / "dashboard-overview-phone.png", 390)
            print("docs: dashboard-overview-phone.png")
            driver.set_window_size(1280, 1400)
            driver.get(url + "/")
            for kpi in ("mql_to_sql_rate", "revenue"):  # a number opened: how it is made
                driver.find_element("css selector", f"details.kpi[data-kpi={kpi}] summary").click()
            driver.save_screenshot(str(args.out / "dashboard-overview-open.png"))
            print("docs: dashboard-overview-open.png")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
