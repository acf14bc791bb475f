"""The dashboard (a Mini App) in a real headless browser, opened as a newcomer would in
the sandbox: the GM presses 📊 看板 beside the text field, the Mini App opens beside the
chat with initData the emulator signed, its overview's numbers are the services'
figures, the charts draw, the Pareto and a complaint's timeline open, the list's
filters change the list, and it switches to English. A failing run leaves a
screenshot in test-artifacts/."""

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

GM, SALES, VP_LAISHAN = 100044, 100001, 100042
# The plan's three items: their owners (Laishan's production, QC, purchasing), and who
# accepts them (the VP), as the people picker shows them ("name · role").
OWNER_IDS = (100022, 100012, 100032)
OWNERS = ("冯生产 · 生产部门", "周质检 · 质检部门", "褚采购 · 采购部门")
ACCEPTOR = "蒋副总 · 生产副总经理"


def _open_total(database: Path) -> int:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session:
            return queries.count_open_complaints(session)
    finally:
        engine.dispose()


def test_the_gm_opens_the_dashboard_beside_the_chat(
    sandbox_url: str,  # noqa: F811
    browser: WebDriver,  # noqa: F811
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    page = Page(browser)
    try:
        browser.get(sandbox_url)
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#people li[data-person]"))
        page.be(GM)
        menu = page.wait(
            lambda: (
                browser.find_element(By.ID, "menu-app").is_displayed()
                and browser.find_element(By.ID, "menu-app")
            )
        )
        assert menu.text == "📊 看板"
        menu.click()
        page.wait(lambda: browser.find_element(By.ID, "webapp").is_displayed())
        browser.switch_to.frame(browser.find_element(By.ID, "webapp-frame"))
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
        page.click("#tab-list")
        rows = page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "table.complaints tr.row"))
        assert len(rows) >= 2
        customer = rows[-1].find_elements(By.TAG_NAME, "td")[1].text.split("\n")[0]
        field = browser.find_element(By.CSS_SELECTOR, "#filters input[name=customer]")
        field.send_keys(customer)
        page.click("#filters button[type=submit]")
        page.wait(
            lambda: (
                all(
                    customer in r.text
                    for r in browser.find_elements(By.CSS_SELECTOR, "table.complaints tr.row")
                )
                and len(browser.find_elements(By.CSS_SELECTOR, "table.complaints tr.row"))
                < len(rows)
            )
        )
        page.click("table.complaints tr.row")
        steps = page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#steps li"))
        assert steps[0].text.startswith("1 登记客户投诉")
        assert browser.find_elements(By.CSS_SELECTOR, "#history li")

        # In English, the same dashboard.
        page.click("#language")
        page.wait(lambda: browser.find_element(By.ID, "tab-overview").text == "Overview")
        assert browser.find_element(By.ID, "language").text == "中文"
        assert page.console_errors() == []
        # Not opened from Telegram (no initData): nothing but how to open it.
        browser.switch_to.default_content()
        browser.get(f"{sandbox_url}app/")
        notice = page.wait(lambda: browser.find_element(By.ID, "signed-out").is_displayed())
        assert notice and not browser.find_elements(By.CSS_SELECTOR, "#main section")
    except Exception:
        browser.switch_to.default_content()
        print(f"screenshot: {page.shot(request.node.name)}")
        raise


def test_the_laishan_vp_fills_a_plan_of_three_items_in_the_form(
    sandbox_url: str,  # noqa: F811
    browser: WebDriver,  # noqa: F811
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    page = Page(browser)
    try:
        browser.get(sandbox_url)
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#people li[data-person]"))
        page.be(VP_LAISHAN)
        page.click("#menu-app")
        browser.switch_to.frame(page.wait(lambda: browser.find_element(By.ID, "webapp-frame")))
        page.click("#tab-list")
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "table.complaints tr.row"))
        # The demo's Laishan complaint waits for this VP's plan.
        field = browser.find_element(By.CSS_SELECTOR, "#filters input[name=customer]")
        field.send_keys("海达")
        page.click("#filters button[type=submit]")
        page.wait(
            lambda: len(browser.find_elements(By.CSS_SELECTOR, "table.complaints tr.row")) == 1
        )
        page.click("table.complaints tr.row")
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
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#plan-items tr"), timeout=20)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#plan-items tr")) == 3
        assert page.console_errors() == []
        browser.switch_to.default_content()
        # The items' owners get their tasks in chat, as from a plan issued in chat.
        for owner_id in OWNER_IDS:
            page.be(owner_id)
            page.wait(lambda: page.message_with("整改项目", "验收合格") is not None, timeout=30)
    except Exception:
        browser.switch_to.default_content()
        print(f"screenshot: {page.shot(request.node.name)}")
        raise
