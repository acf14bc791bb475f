"""Configuration: the example loads; a bad value stops start-up with one line naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config, parse_config
from tests.conftest import config_data

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


def test_example_is_valid_and_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESU_BOT_TOKEN", "42:from-env")
    config = load_config(EXAMPLE)
    assert config.timezone == "Asia/Shanghai"
    assert config.default_language == "zh_CN"
    assert config.bot_token() == "42:from-env"
    assert str(config.limit("initial_assessment")) == "2h"
    assert config.limit("feedback_to_sales").is_end_of_day
    assert {p.role.value for p in config.people} >= {"sales", "qc", "gm", "vp_exec"}


def test_token_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(config_data(telegram={"token": "1:file"}))
    assert config.bot_token() == "1:file"
    monkeypatch.setenv("KESU_BOT_TOKEN", "2:env")
    assert config.bot_token() == "2:env"


def test_missing_token_names_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KESU_BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"^telegram\.token: is missing"):
        load_config(EXAMPLE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Base"}, "timezone: unknown time zone"),
        ({"default_language": "fr"}, "default_language: must be one of"),
        ({"workday_end": "25:00"}, "workday_end:"),
        ({"limits": {"register": "2 hours"}}, "limits: register:"),
        ({"limits": {"lunch": "1h"}}, "limits: unknown step 'lunch'"),
        ({"limits": {"rectification_items": "7d"}}, "limits: rectification_items: has no limit"),
        ({"owners": {"plan_item": "qc"}}, "owners: plan_item: a plan item's owner"),
        ({"weekly_meeting": {"weekday": "friday"}}, "weekly_meeting.weekday: must be one of"),
        ({"recurrence": {"days": 0}}, "recurrence.days:"),
        ({"chats": {"leadership": 1}}, "chats.sales: is missing"),
        ({"database": {"url": "mysql://x"}}, "database.url: must be"),
        ({"surprise": 1}, "surprise: is not a known key"),
        ({"outbox": {"max_attempts": 0}}, "outbox.max_attempts:"),
        ({"working_hours": {"days": ["monday"]}}, "working_hours.days: must be some of"),
        ({"working_hours": {"start": "18:00", "end": "08:00"}}, "working_hours: start must"),
        ({"webapp": {"enabled": True}}, "webapp: enabled: set webapp.url"),
        (
            {"webapp": {"url": "http://kesu.example.com/app/"}},
            "webapp.url: must start with https://",
        ),
        ({"webapp": {"link": "https://example.com/app"}}, "webapp.link: must be the direct link"),
        ({"webapp": {"max_age": "30d"}}, "webapp.max_age: must be between"),
        ({"webapp": {"port": 0}}, "webapp.port:"),
    ],
)
def test_bad_values_name_their_key(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(config_data(**change))
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_bad_person_names_its_index() -> None:
    people = config_data()["people"]
    people[2]["role"] = "boss"
    with pytest.raises(ConfigError, match=r"^people\[2\]\.role: "):
        parse_config(config_data(people=people))
    people[2]["role"] = "qc"
    people[2]["plant"] = "contractor"
    with pytest.raises(ConfigError, match=r"^people\[2\]\.plant: must be huangwu or laishan"):
        parse_config(config_data(people=people))
    people[2]["plant"] = None
    people.append(dict(people[0]))
    with pytest.raises(ConfigError, match="appears twice"):
        parse_config(config_data(people=people))


def test_check_config_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "987654:SECRET-never-printed"
    monkeypatch.setenv("KESU_BOT_TOKEN", secret)
    assert main(["check-config", str(EXAMPLE)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('timezone = "Asia/Shanghai"', 'timezone = "X/Y"'))
    assert main(["check-config", str(bad)]) == 2
    out = capsys.readouterr()
    assert out.err.strip().splitlines() == ["kesu: config error: timezone: unknown time zone 'X/Y'"]
    assert secret not in out.out + out.err


def test_bad_config_stops_start_up_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('timezone = "Asia/Shanghai"\n[telegram]\ntoken = "1:SECRET"\n')
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "kesu: config error: chats: is missing"
    assert "SECRET" not in result.stderr + result.stdout


def test_steps_command_shows_the_configured_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custom = tmp_path / "fast.toml"
    custom.write_text(
        EXAMPLE.read_text().replace('initial_assessment = "2h"', 'initial_assessment = "90s"')
    )
    assert main(["steps", "--config", str(custom)]) == 0
    out = capsys.readouterr().out
    assessment = next(line for line in out.splitlines() if "initial_assessment" in line)
    assert "90s" in assessment and "appraisal_report, containment" in assessment
    assert "escalation every 1h" in out


def test_a_plain_install_carries_templates_catalogues_and_migrations(tmp_path: Path) -> None:
    import zipfile

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("kesu-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    # Every module, template, catalogue and migration of the tree, wherever it lives.
    wanted = {
        str(path.relative_to(ROOT))
        for pattern in ("bot/**/*.py", "handlers/*.py", "storage/**/*.py", "templates/**/*.html")
        for path in ROOT.glob(pattern)
    }
    wanted |= {"bot/locale/zh_CN/LC_MESSAGES/kesu.po", "bot/locale/en/LC_MESSAGES/kesu.po"}
    assert "templates/steps/task_card.html" in wanted
    assert sorted(wanted - names) == []


def test_owners_can_be_changed_by_step() -> None:
    config = parse_config(config_data(owners={"containment": "production"}))
    assert config.owner("containment") == "production"
    assert config.owner("initial_assessment") == "qc"
    with pytest.raises(ConfigError, match=r"^owners: containment: must be one of"):
        parse_config(config_data(owners={"containment": "janitor"}))
    with pytest.raises(ConfigError, match=r"^owners: unknown step 'lunch'"):
        parse_config(config_data(owners={"lunch": "qc"}))
