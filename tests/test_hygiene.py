"""Webhook and service hygiene (issue 21, items 9 and 11): a webhook secret that cannot be
guessed, tracebacks redacted like messages, backups and kept files for the owner only, the
systemd unit's umask, and no glyph lists from the PDF fonts in the log."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config
from bot.views import forms
from bot.views.fonts import cjk_font
from storage import db
from storage.files import FileStore
from tests.conftest import config_data
from tests.test_deploy import logged
from tests.test_render import complaint as complaint_view

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("secret", "ok"), [("x" * 31, False), ("a-b_" * 8, True), ("é" * 40, False), ("x" * 256, True)]
)
def test_the_webhook_secret_is_at_least_32_characters(secret: str, ok: bool) -> None:
    webhook = {"url": "https://kesu.example.com/telegram", "secret_token": secret}
    data = config_data(
        "sqlite://", telegram={"token": "1:x", "mode": "webhook", "webhook": webhook}
    )
    if ok:
        assert parse_config(data).webhook_secret() == secret
    else:
        with pytest.raises(ConfigError, match=r"^telegram\.webhook\.secret_token: must be 32"):
            parse_config(data).webhook_secret()


def test_a_traceback_naming_the_token_is_redacted_in_text_and_json() -> None:
    token = "123456789:SECRET-token-in-a-traceback"
    for log_format in ("text", "json"):
        script = (
            "import logging\n"
            "from bot.cli import _logging\n"
            f"_logging(None, {log_format!r})\n"
            "try:\n"
            f"    raise RuntimeError('POST https://api.telegram.org/bot{token}/getUpdates: 502')\n"
            "except RuntimeError:\n"
            "    logging.getLogger('kesu.test').exception('polling failed')\n"
        )
        stderr = logged(script, token)
        assert "RuntimeError" in stderr and "bot<token>/getUpdates" in stderr
        assert token not in stderr
        if log_format == "json":
            assert "<token>" in json.loads(stderr.splitlines()[-1])["error"]


def test_backups_and_kept_files_are_the_owners_alone(tmp_path: Path) -> None:
    source = tmp_path / "kesu.db"
    engine = db.make_engine(f"sqlite:///{source}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    target = tmp_path / "backup.db"
    db.backup(f"sqlite:///{source}", target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    store = FileStore(tmp_path / "kept")
    stored = store.put("KS-2026-0001", "来函.pdf", b"%PDF")
    kept = tmp_path / "kept" / stored.path
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "kept").stat().st_mode) == 0o700


def test_the_systemd_unit_keeps_files_from_other_users() -> None:
    unit = (ROOT / "deploy" / "kesu.service").read_text()
    assert "\nUMask=0027\n" in unit


def test_pdfs_do_not_flood_the_log_with_glyph_ids(caplog: pytest.LogCaptureFixture) -> None:
    from bot.cli import _logging

    _logging(None)
    caplog.set_level("INFO")
    for _ in range(2):
        forms.report_pdf(complaint_view(), "zh_CN", "Asia/Shanghai", cjk_font())
    assert not [r for r in caplog.records if r.name.startswith("fontTools")]
