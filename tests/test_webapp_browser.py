"""The dashboard (a Mini App) in a real headless browser, opened as a newcomer would in
the sandbox: the GM presses 📊 看板 beside the text field, the Mini App opens beside the
chat with initData the emulator signed, its overview's numbers are the services'
figures, the charts draw, the Pareto and a complaint's timeline open, the list's
filters change the list, and it switches to English; then the Laishan VP fills a plan
of three items in the form and its owners get their tasks in chat. One sandbox for
both (each costs a process and a browser). A failing run leaves a screenshot in
test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from storage import queries
from tests.test_sandbox_browser import Page, browser, sandbox_url  # noqa: F401 (fixtures)

GM, VP_LAISHAN = 100044, 100042
# The plan's three items: their owners (Laishan's production, QC, purchasing), and who
# accepts them (the VP), as the people picker shows them ("name · role").
OWNER_IDS = (100022, 100012, 100032)
OWNERS = ("冯生产 · 生产部门", "周质检 · 质检部门", "褚采购 · 采购部门")
ACCEPTOR = "蒋副总 · 生产副总经理"
LIST_ROWS = "#list tr.row"


def _open_total(database: Path) -> int:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session:
            return queries.count_open_complaints(session)
    finally:
        engine.dispose()


def _open_dashboard(page: Page, driver: WebDriver, person: int) -> None:
    """Be this person, press the menu button beside the text field, go into the panel."""
    driver.switch_to.default_content()
    page.be(person)
    menu = page.wait(lambda: driver.find_element(By.ID, "menu-app"))
    page.wait(menu.is_displayed)
    assert menu.text == "📊 看板"
    menu.click()
    page.wait(lambda: driver.find_element(By.ID, "webapp").is_displayed())
    driver.switch_to.frame(driver.find_element(By.ID, "webapp-frame"))


def _list(page: Page, driver: WebDriver, **filters: str) -> list[str]:
    """The list tab with these filters applied: the rows' texts (read inside each wait:
    the page may draw the list anew meanwhile)."""

    def texts() -> list[str]:
        return [r.text for r in driver.find_elements(By.CSS_SELECTOR, LIST_ROWS)]

    page.click("#tab-list")
    page.wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#filters"))
    before: list[str] = page.wait(lambda: texts() or None)
    if not filters:
        return before
    for name, value in filters.items():
        driver.find_element(By.CSS_SELECTOR, f"#filters input[name={name}]").send_keys(value)
    page.click("#filters button[type=submit]")
    shown = lambda: texts() if all(v in t for t in texts() for v in filters.values()) else None  # noqa: E731
    found: list[str] = page.wait(shown)
    return found


def test_the_dashboard_in_the_sandbox_the_gms_overview_and_the_vps_plan_form(
    sandbox_url: str,  # noqa: F811
    browser: WebDriver,  # noqa: F811
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    page = Page(browser)
    try:
        browser.get(sandbox_url)
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#people li[data-person]"))

        # The GM: the overview of the demo company, its figures the services'.
        _open_dashboard(page, browser, GM)
        total = page.wait(lambda: browser.find_element(By.ID, "open-total").text)
        assert int(total) == _open_total(tmp_path / "sandbox.db") > 0
        # ECharts drew each chart of the overview (a canvas in each).
        page.wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".chart canvas")) >= 6)
        assert browser.find_element(By.ID, "tab-overview").text == "总览"
        # The Pareto of the last twelve weeks.
        page.click("#tab-pareto")
        assert "–" in page.wait(lambda: browser.find_element(By.ID, "pareto-period").text)
        page.wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".chart canvas")) == 2)
        # The list; a filter changes it; a row opens the complaint's timeline.
        everything = _list(page, browser)
        assert len(everything) == int(total) + 1  # and the closed one
        narrowed = _list(page, browser, customer="鲁信")
        assert len(narrowed) == 1 and "鲁信汽配" in narrowed[0]
        page.click(LIST_ROWS)
        steps = page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#steps li"))
        assert steps[0].text.startswith("1 登记客户投诉")
        assert browser.find_elements(By.CSS_SELECTOR, "#history li")
        # In English, the same dashboard.
        page.click("#language")
        page.wait(lambda: browser.find_element(By.ID, "tab-overview").text == "Overview")
        assert browser.find_element(By.ID, "language").text == "中文"
        assert page.console_errors() == []

        # The Laishan VP: the demo's Laishan complaint waits for his plan; he fills it in
        # the form, three items.
        _open_dashboard(page, browser, VP_LAISHAN)
        assert len(_list(page, browser, customer="海达")) == 1
        page.click(LIST_ROWS)
        page.click("#fill-plan")
        page.wait(lambda: browser.find_element(By.ID, "plan-form"))
        page.click("#add-item")
        page.click("#add-item")
        rows = browser.find_elements(By.CSS_SELECTOR, "#items fieldset.item")
        assert len(rows) == 3
        for n, (row, owner) in enumerate(zip(rows, OWNERS, strict=True), start=1):
            row.find_element(By.NAME, "action").send_keys(f"整改项目 {n}")
            row.find_element(By.NAME, "requirement").send_keys("验收合格")
            Select(row.find_element(By.NAME, "owner_id")).select_by_visible_text(owner)
            Select(row.find_element(By.NAME, "acceptor_id")).select_by_visible_text(ACCEPTOR)
        causes = browser.find_element(By.CSS_SELECTOR, "#plan-form textarea[name=causes]")
        causes.clear()
        causes.send_keys("保持架热处理不良")
        for box in browser.find_elements(By.CSS_SELECTOR, "input[name=departments]")[:2]:
            box.click()
        page.click("#issue-plan")
        page.wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#plan-items tr")) == 3)
        assert page.console_errors() == []
        browser.switch_to.default_content()
        # The items' owners get their tasks in chat, as from a plan issued in chat.
        for owner_id in OWNER_IDS:
            page.be(owner_id)
            page.wait(lambda: page.message_with("整改项目", "验收合格") is not None, timeout=30)

        # Not opened from Telegram (no initData; a tab of its own, as Telegram's script
        # keeps a tab's launch data for its reloads): nothing but how to open it.
        browser.switch_to.new_window("tab")
        browser.get(f"{sandbox_url}app/")
        page.wait(lambda: browser.find_element(By.ID, "signed-out").is_displayed())
        assert not browser.find_elements(By.CSS_SELECTOR, "#main section")
    except Exception:
        browser.switch_to.default_content()
        print(f"screenshot: {page.shot(request.node.name)}")
        raise
