"""The dashboard in a real headless chromium: pages load clean, numbers match the CLI, pickers work, counts open
lists of that length with HubSpot links, phones never scroll sideways, CRM strings stay text."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from kpi import LISTED
from sync.app.cli import cli
from sync.app.dashboard.app import PAGES
from tests.dashboard.conftest import ENV, SCRIPT_NAME, Site


def by_css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def kpi_json(site: Site, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["kpi", "--format", "json", *args], env={"SMARKETING_DB": str(site.path), **ENV})
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def submit(driver: Any) -> None:
    """Press the pickers' Show button and wait for the next page to replace this one."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("css selector", "html")
    driver.find_element("css selector", ".pickers button").click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(old))


def period_shown(driver: Any) -> str:
    return str(by_css(driver, "select[name=period] option:checked")[0].get_attribute("value"))


def test_every_page_loads_without_a_console_error(site: Site, driver: Any) -> None:
    driver.get_log("browser")  # drop what came before
    for path in PAGES:
        driver.get(site.url + path)
        assert by_css(driver, "h1"), path
        assert errors(driver) == [], path
    driver.get(site.url + "/list?kpi=new_leads&part=value")
    assert errors(driver) == []


def test_the_overview_shows_what_smarketing_kpi_gives(site: Site, driver: Any) -> None:
    driver.get(site.url + "/")
    period = period_shown(driver)
    records = {r["kpi"]: r for r in kpi_json(site, "--period", period) if r["segment"] == "all"}
    cards = by_css(driver, "section:nth-of-type(2) details.kpi")
    assert len(cards) >= 10
    for card in cards:
        kpi = card.get_attribute("data-kpi")
        value = card.find_element("css selector", ".value").get_attribute("data-rounded")
        assert json.loads(value) == records[kpi]["value"], kpi
    survivors = records["lead_to_customer_rate"]["details"]["survivors"]
    for card in by_css(driver, "details.kpi[data-kpi^='funnel:']"):
        stage = card.get_attribute("data-kpi").removeprefix("funnel:")
        shown = card.find_element("css selector", ".value").get_attribute("textContent")
        assert int(shown.replace(",", "")) == survivors[stage], stage
    assert survivors["lead"] > 0


def test_the_pickers_change_what_is_shown(site: Site, driver: Any) -> None:
    from selenium.webdriver.support.ui import Select

    driver.get(site.url + "/")
    first = period_shown(driver)
    before = driver.find_element("css selector", ".context").text
    choices = [o.get_attribute("value") for o in by_css(driver, "select[name=period] option")]
    other = next(p for p in choices if p != first and "Q" not in p)
    Select(driver.find_element("css selector", "select[name=period]")).select_by_value(other)
    submit(driver)
    assert period_shown(driver) == other and driver.find_element("css selector", ".context").text != before
    assert parse_qs(urlsplit(driver.current_url).query)["period"] == [other]

    segment = next(o.get_attribute("value") for o in by_css(driver, "select[name=segment] option")
                   if (o.get_attribute("value") or "").startswith("source="))
    Select(driver.find_element("css selector", "select[name=segment]")).select_by_value(segment)
    submit(driver)
    assert by_css(driver, "select[name=segment] option:checked")[0].get_attribute("value") == segment
    leads = by_css(driver, "section:nth-of-type(2) details.kpi[data-kpi=new_leads] .value")[0]
    expected = {r["segment"]: r for r in kpi_json(site, "--period", other, "--by", "source")
                if r["kpi"] == "new_leads"}
    assert json.loads(leads.get_attribute("data-rounded")) == expected[segment]["value"]

    driver.get(site.url + f"/?period={other}&strict=1")
    assert by_css(driver, "input[name=strict]")[0].is_selected()
    assert "strict" in driver.find_element("css selector", ".context").text


def _lists(driver: Any) -> list[tuple[str, int, str]]:
    found = []
    for link in by_css(driver, "a.records"):
        found.append((str(link.get_attribute("href")), int(link.get_attribute("data-count")),
                      str(link.get_attribute("data-part"))))
    return found


@pytest.mark.parametrize("path", ["/", "/mql", "/sources", "/sla", "/sla-leads", "/campaigns"])
def test_every_count_opens_a_list_of_that_length_with_record_links(site: Site, driver: Any, path: str) -> None:
    driver.get(site.url + path)
    for card in by_css(driver, "details.kpi"):
        link = card.find_elements("css selector", "a.records[data-part=value]")
        if link:  # a count's list is as long as the count shown
            shown = card.find_element("css selector", ".value").get_attribute("textContent")
            assert int(shown.replace(",", "")) == int(link[0].get_attribute("data-count"))
    lists = _lists(driver)
    assert lists, path
    pattern = re.compile(rf"^https://app\.hubspot\.com/contacts/{site.portal_id}/record/(0-1|0-3)/(\d+)$")
    for href, count, _ in lists:
        driver.get(href)
        rows = by_css(driver, "tr.record")
        assert len(rows) == count == int(by_css(driver, ".count")[0].get_attribute("data-count")), href
        kind = "0-3" if LISTED[parse_qs(urlsplit(href).query)["kpi"][0]][0] == "deals" else "0-1"
        for row in rows:
            cells = row.find_elements("css selector", "td")
            match = pattern.match(cells[0].find_element("css selector", "a").get_attribute("href"))
            assert match and match.group(1) == kind and match.group(2) == cells[0].text


def test_no_page_scrolls_sideways_on_a_phone(site: Site, driver: Any) -> None:
    driver.set_window_size(390, 844)
    try:
        for path in [*PAGES, "/list?kpi=new_leads&part=value"]:
            driver.get(site.url + path)
            width, client = driver.execute_script(
                "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert width <= client, (path, width, client)
    finally:
        driver.set_window_size(1280, 900)


def test_a_contact_named_like_a_script_renders_as_text(site: Site, driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    driver.get_log("browser")
    driver.get(site.url + f"/list?kpi=new_leads&part=value&period={site.this_month}")
    names = [cell.text for cell in by_css(driver, "td.name")]
    assert SCRIPT_NAME in names
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert by_css(driver, "td.name script") == []
    assert errors(driver) == []
