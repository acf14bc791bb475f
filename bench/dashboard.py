"""The dashboard at the scale of years (issue 26): on the five-year database of
bench/scale.py, how long the dashboard's JSON takes, as its endpoints serve it (the use
case in its unit of work, the labels, the JSON text); and how long the page takes to
show its overview with its charts in headless Chromium on the sandbox.

    .venv/bin/python bench/dashboard.py [--database URL] [--complaints N] [--browser]

A database given that holds complaints already is not filled again (bench/scale.py
fills it the same way). The figures go into BENCHMARKS.md with the machine they came
from. Goals: the overview under 300 ms, a timeline under 100 ms, a page of the list
under 100 ms, the page's first render under 1 s.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import fill, open_database, timed  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.services import dashboard  # noqa: E402
from bot.services.uow import Caller  # noqa: E402
from bot.views import dashboard as views  # noqa: E402
from storage.models import Complaint  # noqa: E402
from tests.conftest import GM, SALES_2  # noqa: E402


def measure(url: str, complaints: int) -> None:
    config, services = open_database(url)
    with services.sessions() as session:
        filled = session.scalar(select(func.count()).select_from(Complaint)) or 0
        newest = session.scalars(select(Complaint.number).order_by(Complaint.id.desc())).first()
    if filled:
        print(f"reusing {filled} complaints ({url})")
    else:
        began = time.perf_counter()
        fill(services, complaints, datetime.now(UTC))
        print(f"filled {complaints} complaints in {time.perf_counter() - began:.0f} s ({url})")
        with services.sessions() as session:
            newest = session.scalars(select(Complaint.number).order_by(Complaint.id.desc())).first()
    assert newest is not None
    tz, gm = config.timezone, Caller(GM, None, None, "webapp")

    def overview() -> None:
        found = services.call(dashboard.overview, gm)
        json.dumps(views.overview(found.overview, "zh_CN", tz), ensure_ascii=False)

    def timeline() -> None:
        found = services.call(dashboard.timeline, gm, newest)
        now = services.clock.now()
        json.dumps(views.timeline(found.shown, "zh_CN", tz, now), ensure_ascii=False)

    def page(request: dashboard.ListRequest) -> None:
        found = services.call(dashboard.listed, request)
        views.listing(found.complaints, found.total, found.page, found.pages, "zh_CN", tz)

    timed("overview (JSON, as the GM)", overview, 5)
    timed("a complaint's timeline (the newest)", timeline, 5)
    timed("list, first page of all (as the GM)", lambda: page(dashboard.ListRequest(gm)), 5)
    timed(
        "list, open of Laishan, grade A",
        lambda: page(dashboard.ListRequest(gm, plant="laishan", grade="A", status="open")),
        5,
    )
    timed(
        "list, a search (a specification)", lambda: page(dashboard.ListRequest(gm, text="6210")), 5
    )
    timed("list, page 100 of all", lambda: page(dashboard.ListRequest(gm, page=100)), 5)
    timed(
        "list, a salesperson's own",
        lambda: page(dashboard.ListRequest(Caller(SALES_2, None, None, "webapp"))),
        5,
    )
    timed("pareto, the last twelve weeks", lambda: services.call(dashboard.causes, gm, ""), 5)
    services.close()


def first_render(runs: int = 5) -> None:
    """The sandbox in its own process; the GM's dashboard opened in headless Chromium
    as the page opens it; from navigation start until the overview's charts are drawn
    (the page marks the moment: body[data-rendered], in ms since navigation start)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    folder = Path(tempfile.mkdtemp())
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "sandbox", "--port", "0", "--db", str(folder / "s.db")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    base = None
    for line in process.stdout:
        if found := re.search(r"open (http://\S+/) in a browser", line):
            base = found.group(1)
            break
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=390,844"):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )
    try:
        assert base is not None
        driver.get(base)  # the page's token, as a person's browser gets it
        times = []
        for run in range(runs + 1):
            opened = driver.execute_script(
                "return fetch('/sandbox/webapp?user=100044').then(r => r.json())"
            )
            hash_ = f"tgWebAppData={_quote(opened['init_data'])}&tgWebAppVersion=8.0"
            driver.get(f"{base}app/?run={run}#{hash_}")
            for _ in range(200):
                rendered = driver.execute_script("return document.body.dataset.rendered")
                if rendered:
                    break
                time.sleep(0.05)
            if run:  # the first fills the browser's cache, as a second visit finds it
                times.append(float(rendered))
        print(
            f"first render of the overview, charts drawn   {sum(times) / len(times):7.0f} ms"
            f"  (mean of {runs}; {min(times):.0f}-{max(times):.0f})"
        )
    finally:
        driver.quit()
        process.terminate()
        process.wait(timeout=20)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--database", default="")
    parser.add_argument("--browser", action="store_true", help="the page's first render too")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/scale.db"
    measure(url, args.complaints)
    if args.browser:
        first_render()


if __name__ == "__main__":
    main()
