"""The sandbox page in a real headless browser (Debian's chromium, driven by Selenium).

As a new user would: `kesu sandbox` in its own process, the page at the address it
prints; the salesperson files a complaint through the page, QC of its plant press
Done on the task in their group, the clock jumps, and the VP sees the escalation.
A failing run leaves a screenshot in test-artifacts/ and says where.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip(
        "chromium and chromedriver are not installed (scripts/test installs Debian's "
        "chromium and chromium-driver where it may run apt-get)",
        allow_module_level=True,
    )

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SALES, QC_HUANGWU_PERSON, VP_EXEC = 100001, 100011, 100041
# A 2x2 PNG: a photo the browser can really decode.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001049444154789c63f8cfc000440c100a001fee03fd8b5f14d40000000049"
    "454e44ae426082"
)
QC_HUANGWU = -1001000000003
# Task cards and reminders, as tests/harness.py tells them from the conversation.
NOTICE = re.compile(r"^(第 \S+ 步 · |Step \S+ · |⏰|🚨)")


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "sandbox",
            "--port",
            "0",
            "--db",
            str(tmp_path / "sandbox.db"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    url = None
    seen = []
    for line in process.stdout:  # the address is printed once everything runs
        seen.append(line)
        found = re.search(r"open (http://\S+/) in a browser", line)
        if found:
            url = found.group(1)
            break
    if url is None:
        process.kill()
        process.wait()
        process.stdout.close()
        pytest.fail("kesu sandbox did not print its address:\n" + "".join(seen))
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


DESKTOP = (1280, 757)  # where the newcomer's stumbles were seen
PHONE = (390, 844)


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[WebDriver]:
    width, height = getattr(request, "param", DESKTOP)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={width},{height}",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    # The viewport itself at the size asked (the window's frame takes some of it).
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    yield driver
    driver.quit()


class Page:
    """The sandbox page as a person uses it."""

    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver

    def wait(self, condition: Callable[[], Any], timeout: float = 20) -> Any:
        def check(_: WebDriver) -> Any:
            try:
                return condition()
            except StaleElementReferenceException:
                return False

        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(check)

    def click(self, selector: str) -> None:
        """Click what the selector finds, again if the page re-drew it meanwhile (new
        messages re-render the lists, as they arrive)."""

        def clicked() -> bool:
            self.driver.find_element(By.CSS_SELECTOR, selector).click()
            return True

        self.wait(clicked)

    def be(self, person_id: int) -> None:
        self.click(f'#people li[data-person="{person_id}"]')
        self.wait(lambda: "active" in self._person(person_id).get_attribute("class"))

    def _person(self, person_id: int) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, f'#people li[data-person="{person_id}"]')

    def open_chat(self, chat_id: int) -> None:
        self.click(f'#chats li[data-chat="{chat_id}"]')
        self.wait(
            lambda: (
                "active"
                in self.driver.find_element(
                    By.CSS_SELECTOR, f'#chats li[data-chat="{chat_id}"]'
                ).get_attribute("class")
            )
        )

    def bot_messages(self) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, "#messages li.msg.bot")

    def replies(self) -> list[str]:
        """The bot's side of the conversation: task cards and reminders of the demo's
        complaints arrive in the same private chat meanwhile, as in Telegram. Read in one
        script, so a redraw of the chat cannot leave a stale element in the middle."""
        texts: list[str] = self.driver.execute_script(
            "return [...document.querySelectorAll('#messages li.msg.bot')].map(m => m.innerText)"
        )
        return [text for text in texts if not NOTICE.match(text)]

    def last_text(self) -> str:
        messages = self.replies()
        return messages[-1] if messages else ""

    def say(self, text: str) -> None:
        """Type and send; wait for the bot's next message."""
        before = len(self.replies())
        box = self.driver.find_element(By.ID, "text")
        box.send_keys(text, Keys.ENTER)
        self.wait(lambda: len(self.replies()) > before)

    def tap(
        self, label: str, *, then: Callable[[], Any] | None = None, family: str = "v1:in:"
    ) -> None:
        """Press the newest intake button with this label (task cards with buttons of
        their own arrive in the same chat meanwhile); wait for the bot's next reply."""
        before = len(self.replies())
        selector = f'#messages .kb button[data-data^="{family}"]'

        def press() -> bool:  # the page may redraw the chat meanwhile: find it again
            buttons = [
                b for b in self.driver.find_elements(By.CSS_SELECTOR, selector) if b.text == label
            ]
            if not buttons:
                return False
            buttons[-1].click()
            return True

        self.wait(press, timeout=10)
        self.wait(then or (lambda: len(self.replies()) > before))

    def text_with(self, *parts: str) -> str:
        """The text of the newest message with all these parts ("" while there is none)."""
        message = self.message_with(*parts)
        return message.text if message is not None else ""

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def buttons_under_toast(self) -> list[str] | None:
        """The buttons a shown toast covers ([] when none; None while no toast shows)."""
        return self.js(
            """const toast = document.getElementById('toast');
            if (toast.hidden) return null;
            const r = toast.getBoundingClientRect();
            return [...document.querySelectorAll('button, a, label')].filter((b) => {
              const q = b.getBoundingClientRect();
              return q.width && q.height && !(q.right <= r.left || q.left >= r.right
                || q.bottom <= r.top || q.top >= r.bottom);
            }).map((b) => b.textContent);"""
        )

    def newest_in_view(self) -> bool:
        """The chat's newest message shows whole in the chat's visible area."""
        return bool(
            self.js(
                """const box = document.getElementById('messages');
                const last = box.lastElementChild;
                if (!last) return false;
                const b = box.getBoundingClientRect(), m = last.getBoundingClientRect();
                return m.bottom <= b.bottom + 1 && m.top >= b.top - 1;"""
            )
        )

    def choose_file(self, path: Path) -> None:
        picker = self.driver.find_element(By.ID, "file")
        self.js("arguments[0].style.display = 'block'", picker)  # a person clicks its label
        picker.send_keys(str(path))
        self.js("arguments[0].style.display = ''", picker)

    def message_with(self, *parts: str) -> WebElement | None:
        for message in reversed(self.bot_messages()):
            if all(part in message.text for part in parts):
                return message
        return None


# Before the page's first look at the world, someone writes to the bot: its live update
# arrives first (as the demo's cards do on a fresh start, while they are delivered).
LIVE_UPDATE_FIRST = """
const original = window.fetch;
let held = false;
window.fetch = async (url, options) => {
  if (!held && String(url).endsWith("/sandbox/world")) {
    held = true;
    await original("/sandbox/send", { method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user_id: 100001, chat_id: 100001, text: "/help" }) });
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  return original(url, options);
};
"""


def test_file_follow_press_and_fast_forward_to_the_vps_escalation(
    sandbox_url: str, browser: WebDriver, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    page = Page(browser)
    try:
        browser.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": LIVE_UPDATE_FIRST}
        )
        browser.get(sandbox_url)
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#people li[data-person]"))
        # Who is who: each person's plant (or the plant they lead), in sections.
        people = page.js(
            "return [...document.querySelectorAll('#people li')].map(li => li.innerText)"
        )
        assert "业务部" in people[0] and any("李质检" in p and "黄务" in p for p in people)
        assert any("刘常务" in p and "主管黄务" in p for p in people)
        assert any("蒋副总" in p and "主管莱山" in p for p in people)

        # The salesperson files a complaint in the private chat, question by question.
        page.be(SALES)
        page.say("/new")
        assert "客户名称" in page.last_text()
        page.say("青岛精工")
        page.tap("A")
        page.say("0535-6881234")
        page.say("整批轴承异响，要求索赔")
        page.tap(
            "索赔",
            then=lambda: any(
                b.text == "✅ 索赔"
                for b in browser.find_elements(By.CSS_SELECTOR, "#messages .kb button")
            ),
        )
        page.tap("完成")
        page.say("深沟球轴承")
        page.say("6204-2RS")
        page.say("5000 件")
        page.say("2026-11-01")
        page.tap("刚刚收到（现在）")
        page.tap("今天（受理投诉时）")
        page.tap("否")
        page.tap("否")
        page.tap("黄务车间、仓库")
        page.say("装机后异响 <严重> & 发热")
        # The customer's photo, chosen on this machine: it shows before it is sent, and
        # can be taken back.
        photo = tmp_path / "现场照片.png"
        photo.write_bytes(PNG)
        attach = browser.find_element(By.ID, "attach")
        assert attach.is_displayed() and attach.value_of_css_property("cursor") == "pointer"
        page.choose_file(photo)
        page.wait(lambda: browser.find_element(By.ID, "attached").is_displayed())
        assert "现场照片.png" in browser.find_element(By.ID, "attached-name").text
        page.wait(
            lambda: page.js(
                "const i = document.getElementById('attached-thumb');"
                "return !i.hidden && i.complete && i.naturalWidth > 0"
            )
        )
        browser.find_element(By.ID, "attached-remove").click()
        assert not browser.find_element(By.ID, "attached").is_displayed()
        page.choose_file(photo)
        before = len(page.replies())
        browser.find_element(By.ID, "send").click()
        page.wait(lambda: len(page.replies()) > before)
        assert not browser.find_element(By.ID, "attached").is_displayed()
        assert "已收到 1 个文件" in page.last_text()
        # The picture loads after the chat was scrolled: the acknowledgement and its
        # button stay in view.
        page.wait(
            lambda: page.js(
                "return [...document.querySelectorAll('#messages img')].every(i => i.complete)"
            )
        )
        page.wait(page.newest_in_view)
        page.tap("完成")
        assert "请核对客诉内容后登记" in page.last_text()
        assert "装机后异响 <严重> & 发热" in page.last_text()  # shown as typed, not as HTML
        page.tap("确认登记")
        filed = page.wait(lambda: page.text_with("已登记为"))
        number = re.search(r"KS-\d{4}-\d{4}", filed)
        assert number is not None
        number_text = number.group(0)

        # QC of Huangwu see the task in their group and press Done; the card changes in place.
        page.be(QC_HUANGWU_PERSON)
        page.open_chat(QC_HUANGWU)

        def press_done() -> bool:
            card = page.message_with("第 2 步", number_text)
            if card is None:
                return False
            card.find_element(By.XPATH, ".//div[@class='kb']//button[text()='完成']").click()
            return True

        page.wait(press_done)
        page.wait(lambda: page.buttons_under_toast() is not None, timeout=5)
        assert page.buttons_under_toast() in ([], None)  # the toast covers no button

        page.wait(lambda: "状态：已完成" in page.text_with("第 2 步", number_text))
        # The group's board is pinned over the chat, and changes as steps are done.
        pinned = browser.find_element(By.ID, "pinned")
        page.wait(lambda: pinned.is_displayed() and "看板" in pinned.text)
        page.wait(lambda: page.message_with("第 3 步", number_text))
        # The customer's photo came to the group with the complaint, and is shown.
        page.wait(
            lambda: page.js(
                "return [...document.querySelectorAll('#messages img')]"
                ".some(i => i.complete && i.naturalWidth > 0)"
            )
        )
        # Only prompts that want an answer offer Reply; plain notices do not.
        replies, prompts = page.js(
            "return [document.querySelectorAll('#messages button.reply').length,"
            " document.querySelectorAll('#messages .force').length]"
        )
        assert replies == prompts

        # QC add a note by answering the bot's prompt in their private chat.
        page.open_chat(QC_HUANGWU_PERSON)

        def reply_to_prompt() -> bool:
            prompt = page.message_with("步骤已完成", number_text)
            if prompt is None:
                return False
            prompt.find_element(By.CSS_SELECTOR, "button.reply").click()
            return True

        page.wait(reply_to_prompt)
        page.say("初评：质量问题，已隔离同批产品")
        assert "备注已添加" in page.last_text()

        # One press reaches the next limit (the header shows it); a few presses, the
        # executive VP's on-site hour, and the page says what went out and to whom.
        def jump_to_next_limit() -> None:
            shown = re.search(
                r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
                page.js("return document.getElementById('next-due').textContent"),
            )
            assert shown is not None
            browser.find_element(By.ID, "ff-limit").click()
            page.wait(lambda: browser.find_element(By.ID, "ff-limit").is_enabled())
            page.wait(lambda: browser.find_element(By.ID, "went-out").is_displayed())
            # At the limit itself (a minute later at most: the company's clock runs on).
            now = datetime.strptime(browser.find_element(By.ID, "now").text, "%Y-%m-%d %H:%M")
            limit = datetime.strptime(shown.group(0), "%Y-%m-%d %H:%M")
            assert timedelta(0) <= now - limit <= timedelta(minutes=1)

        def vp_escalation() -> WebElement | None:
            lines = browser.find_elements(By.CSS_SELECTOR, f'#went-out li[data-chat="{VP_EXEC}"]')
            return next((li for li in lines if number_text in li.text and "🚨" in li.text), None)

        def open_vp_escalation() -> bool:
            # The list is drawn again as messages go out: find the line and click it at once.
            line = vp_escalation()
            if line is None:
                return False
            line.click()  # opens the VP's private chat, as the VP
            return True

        def reached_the_vp() -> str:
            return "yes" if vp_escalation() is not None else "no"  # a stale list: asked again

        for _ in range(8):
            jump_to_next_limit()
            if page.wait(reached_the_vp) == "yes":
                break
        else:
            raise AssertionError("no escalation of the complaint reached the VP")
        page.wait(open_vp_escalation)
        page.wait(lambda: "active" in page._person(VP_EXEC).get_attribute("class"))
        # The VP's chats (private, leadership, QC and production of the plant) all show:
        # the chats scroll on their own, below no list of people.
        assert page.js(
            """const pane = document.querySelector('#side .chats');
            const last = pane.querySelector('li:last-child').getBoundingClientRect();
            return pane.querySelectorAll('li').length >= 4
              && last.bottom <= pane.getBoundingClientRect().bottom + 1;"""
        )
        escalation = page.wait(lambda: page.text_with("🚨", number_text), timeout=40)
        assert "牵头组织人员到现场" in escalation or "已超时" in escalation
        # A complaint's number is pressable, as a command is in Telegram: it asks /show.
        before = len(page.replies())
        link = next(
            a
            for a in reversed(browser.find_elements(By.CSS_SELECTOR, "#messages a.command"))
            if a.text == number_text
        )
        link.click()
        shown_card = page.wait(lambda: len(page.replies()) > before and page.last_text())
        assert number_text in shown_card
        assert page.console_errors() == []

        # English all the way: labels, the chat's title, one line at 1280 px, the dates.
        browser.find_element(By.ID, "lang").click()
        page.wait(lambda: "Company time" in browser.find_element(By.ID, "bar").text)
        page.wait(
            lambda: browser.find_element(By.ID, "chat-title").text == "Private chat with Kesu"
        )
        labels = page.js(
            "return [...document.querySelectorAll('[data-t]')].map(e => e.textContent)"
        )
        assert not [label for label in labels if re.search(r"[\u4e00-\u9fff]", label)]
        assert page.js("return document.getElementById('bar').offsetHeight") < 50
        dates = page.js(
            "return [...document.querySelectorAll('#messages .meta')].map(m => m.firstChild.textContent)"
        )
        assert dates and all(
            re.fullmatch(r"(edited · )?\d{4}-\d{2}-\d{2} \d{2}:\d{2}", d) for d in dates
        ), dates
        assert re.fullmatch(
            r"next limit: \d{4}-\d{2}-\d{2} \d{2}:\d{2}|nothing due",
            browser.find_element(By.ID, "next-due").text,
        )
        browser.find_element(By.ID, "ff-ping").click()
        toast = page.wait(lambda: re.search(r"sent$", browser.find_element(By.ID, "toast").text))
        assert "1 reminders" not in toast.string
        assert page.console_errors() == []
        page.shot("sandbox-desktop-english")
    except BaseException:
        shot = page.shot(request.node.name)
        print(f"\nscreenshot of the failing page: {shot}")
        raise


@pytest.mark.parametrize("browser", [PHONE], indirect=True, ids=["phone"])
def test_on_a_phones_width_everything_is_within_reach(
    sandbox_url: str, browser: WebDriver, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    page = Page(browser)
    try:
        browser.get(sandbox_url)
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#people li[data-person]"))
        width = PHONE[0]
        # Nothing sticks out sideways; the people and the chats each have their room.
        assert page.js("return document.documentElement.scrollWidth") <= width
        for pane in ("#side .people", "#side .chats", "#messages", "#composer"):
            height = page.js(f"return document.querySelector('{pane}').offsetHeight")
            assert height > 40, pane
        page.be(SALES)
        page.say("/new")
        assert "客户名称" in page.last_text()
        photo = tmp_path / "照片.png"
        photo.write_bytes(PNG)
        page.choose_file(photo)
        page.wait(lambda: browser.find_element(By.ID, "attached").is_displayed())
        composer = page.js(
            "return document.getElementById('composer').getBoundingClientRect().bottom"
        )
        assert composer <= PHONE[1]
        browser.find_element(By.ID, "attached-remove").click()
        page.say("/cancel")
        browser.find_element(By.ID, "lang").click()
        page.wait(
            lambda: browser.find_element(By.ID, "chat-title").text == "Private chat with Kesu"
        )
        assert page.js("return document.documentElement.scrollWidth") <= width
        assert page.console_errors() == []
        page.shot("sandbox-phone-english")
    except BaseException:
        shot = page.shot(request.node.name)
        print(f"\nscreenshot of the failing page: {shot}")
        raise
