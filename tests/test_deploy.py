"""The deployment recipe in deploy/: the systemd unit verified by systemd-analyze, the
container image built where Docker runs, and the logs as JSON lines."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    # The unit names /opt/kesu; here the checkout's own kesu stands in for it.
    kesu = ROOT / ".venv" / "bin" / "kesu"
    unit = tmp_path / "kesu.service"
    unit.write_text(
        (DEPLOY / "kesu.service").read_text().replace("/opt/kesu/.venv/bin/kesu", str(kesu))
    )
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert "Unknown" not in verified.stderr and "not executable" not in verified.stderr


def _docker_runs() -> bool:
    if not shutil.which("docker"):
        return False
    info = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=20)
    return info.returncode == 0


@pytest.mark.skipif(not _docker_runs(), reason="no Docker daemon here")
def test_the_container_image_builds() -> None:
    built = subprocess.run(
        ["docker", "build", "-f", str(DEPLOY / "Dockerfile"), "-t", "kesu-test", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr[-2000:]


def test_logs_as_json_lines_one_object_each_and_the_token_never_in_them() -> None:
    token = "123456789:SECRET-token-for-the-log-test"
    script = (
        "import logging\n"
        "from bot.cli import _logging\n"
        "_logging(None, 'json')\n"
        "log = logging.getLogger('kesu.test')\n"
        f"log.warning('发送到 https://api.telegram.org/bot{token}/sendMessage 失败')\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    log.exception('出错了')\n"
    )
    stderr = logged(script, token)
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert [(entry["level"], entry["logger"]) for entry in lines] == [
        ("WARNING", "kesu.test"),
        ("ERROR", "kesu.test"),
    ]
    assert lines[0]["message"] == "发送到 https://api.telegram.org/bot<token>/sendMessage 失败"
    assert "ZeroDivisionError" in lines[1]["error"] and lines[1]["at"].endswith("+00:00")
    assert token not in stderr


def logged(script: str, token: str) -> str:
    """What a Python script logs (its stderr), run as Kesu is, with the bot's token set."""
    ran = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"KESU_BOT_TOKEN": token, "PATH": "/usr/bin:/bin"},
    )
    return ran.stderr
