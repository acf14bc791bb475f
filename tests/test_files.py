"""Files people send are kept in Kesu's own store, through the emulator: downloaded after
the commit that recorded them, checked by their SHA-256, sent from the store when
Telegram has forgotten the file id (/show and the outbox alike), named in the register's
file sheet and copied beside it by `kesu export --with-files`; a file Telegram will not
give (over 20 MB) is reported to the admins, and a failing download is tried again."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from telegram import Bot

from bot.app import prepare_database
from bot.cli import _export
from bot.config import parse_config
from bot.delivery.keeper import FileKeeper
from bot.procedure.clock import FakeClock
from bot.procedure.intake import FileKind
from bot.sandbox.emulator.server import Emulator, SentMessage
from bot.services import files
from bot.services.notices import Recipient, file_notice, post
from bot.services.uow import Services, UnitOfWork
from storage import db
from storage.files import FileStore, safe_name
from storage.models import Complaint, KeepStatus, KeptFile, OutboxMessage, Purpose
from tests.conftest import SALES, config_data, eventually
from tests.harness import World, running_kesu
from tests.test_e2e_intake import file_complaint

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


def kept(world: World) -> list[KeptFile]:
    with world.sessions() as session:
        return list(session.scalars(select(KeptFile).order_by(KeptFile.id)))


async def test_files_are_kept_and_outlive_telegrams_copy(engine: Engine, tmp_path: Path) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, letter=True)
        rows = await eventually(
            lambda: (r := kept(world)) and all(k.status == KeepStatus.KEPT for k in r) and r
        )
        assert [k.kind for k in rows] == [FileKind.DOCUMENT, FileKind.PHOTO]
        with world.sessions() as session:
            number = session.scalars(select(Complaint.number)).one()
        store = FileStore(world.kesu.services.config.files.store)
        letter = rows[0]
        assert letter.path == f"{number}/{letter.id}-客户来函.pdf"
        content = store.read(letter.path)
        assert content is not None and hashlib.sha256(content).hexdigest() == letter.sha256
        assert letter.size == len(content)

        # Telegram forgets both files: /show sends Kesu's own copies instead.
        for row in rows:
            world.emu.files.pop(row.file_id)
        sent_before = len(world.emu.bot_messages(SALES))
        await world.say(SALES, f"/show {number}")

        def resent_files() -> list[SentMessage] | None:
            found = [
                m
                for m in world.emu.bot_messages(SALES)[sent_before:]
                if m.kind in ("photo", "document")
            ]
            return found if {m.kind for m in found} == {"photo", "document"} else None

        files = await eventually(resent_files, timeout=10)
        assert any("wrong file identifier" in r[2] for r in world.emu.refusals)
        resent = next(m for m in files if m.kind == "document")
        assert world.emu.files[resent.file_id]["content"] == content

        # The outbox too: a notice with the forgotten file id goes out as an upload.
        def send_letter(uow: UnitOfWork) -> None:
            to = [Recipient(SALES, "zh_CN")]
            notice = file_notice(
                Purpose.RESULT, to, letter.file_id, FileKind.DOCUMENT, lambda _: "来函"
            )
            post(uow.session, notice, uow.now)

        await world.kesu.services.run(send_letter)
        await eventually(lambda: _delivered(world, letter.file_id))

        # The register names each file and where it is kept; --with-files copies them.
        month = number.split("-")[1]
        config = world.kesu.services.config
        assert _export(config, "register", "", str(tmp_path), "zh_CN", with_files=True) == 0
        register = next(tmp_path.glob(f"客户投诉统计表-{month}*.xlsx"))
        sheet = load_workbook(io.BytesIO(register.read_bytes()))["附件"]
        listed = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert [(r[0], r[3]) for r in listed] == [(number, k.path) for k in rows]
        assert (tmp_path / letter.path).read_bytes() == content


def _delivered(world: World, file_id: str) -> bool:
    with world.sessions() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == Purpose.RESULT)
        ).all()
    return any(r.payload.get("file_id") == file_id and r.status == "sent" for r in rows)


async def test_a_file_too_big_is_reported_and_a_failing_download_tried_again(
    engine: Engine,
) -> None:
    async with running_kesu(engine) as world:
        emu = world.emu
        big = emu._register_file("document", 30 * 1024 * 1024, "documents/big.zip")
        small = emu._register_file("photo", 2000, "photos/small.jpg", b"\xff\xd8 jpeg")
        emu.fail_next.append(("getFile", 502, "Bad Gateway"))

        def mark(uow: UnitOfWork) -> None:
            files.keep(uow.session, uow.now, small, FileKind.PHOTO)
            files.keep(uow.session, uow.now, big, FileKind.DOCUMENT, file_name="big.zip")
            files.keep(uow.session, uow.now, small, FileKind.PHOTO)  # known: once

        await world.kesu.services.run(mark)  # the commit pokes Kesu's keeper
        rows = await eventually(
            lambda: (
                {k.file_id: k for k in kept(world)}
                if all(k.status != KeepStatus.WAITING for k in kept(world))
                else None
            ),
            timeout=10,
        )
        assert len(rows) == 2
        assert rows[big].status == KeepStatus.FAILED and "too big" in (rows[big].last_error or "")
        # The 502 came first, for the photo: kept at its second try.
        assert rows[small].status == KeepStatus.KEPT and rows[small].attempts == 2
        alert = await eventually(
            lambda: [m for m in emu.bot_messages(SALES) if "有文件未能保存" in m.text]
        )
        assert "big.zip" in alert[0].text


def test_a_stored_name_cannot_climb_out_of_the_store(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    stored = store.put("../..", "../../etc/passwd", b"x")
    assert (tmp_path / "store" / stored.path).is_file()
    assert ".." not in stored.path and safe_name("客户来函 (1).pdf") == "客户来函_1_.pdf"
    assert store.read(stored.path, hashlib.sha256(b"y").hexdigest()) is None  # not what was kept


@pytest.mark.parametrize(
    "name",
    [
        "青岛海达机械关于深沟球轴承异响索赔函" * 5 + "附件一二三四五.pdf",  # 100 characters
        "a" * 251 + ".pdf",  # 255 bytes, the most a file system takes
    ],
)
async def test_a_long_file_name_is_kept_and_so_is_the_photo_after_it(
    engine: Engine, name: str
) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, letter_name=name)
        rows = await eventually(
            lambda: (r := kept(world)) and all(k.status == KeepStatus.KEPT for k in r) and r
        )
        letter, photo = rows
        assert letter.file_name == name  # the whole name stays in the database
        assert letter.path is not None and letter.path.endswith(".pdf")
        stored = Path(world.kesu.services.config.files.store) / letter.path
        assert stored.is_file() and len(stored.name.encode()) <= 255
        assert photo.kind == FileKind.PHOTO and photo.path is not None
        # Each file fetched once: nothing is downloaded again and again.
        for row in rows:
            asked = [
                p for m, p in world.emu.calls if m == "getFile" and p["file_id"] == row.file_id
            ]
            assert len(asked) == 1


async def test_a_file_the_store_cannot_write_is_tried_a_bounded_number_of_times(
    engine: Engine, tmp_path: Path
) -> None:
    """One file's fault never stops the files after it; its tries back off, and at the
    last the row is marked failed and the admins are told once."""

    class Unwritable(FileStore):
        def put(self, folder: str, name: str, content: bytes) -> Any:
            if name.endswith("broken.pdf"):
                raise OSError(36, "File name too long")
            return super().put(folder, name, content)

    clock = FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    data = config_data(str(engine.url), files={"store": str(tmp_path / "kept"), "max_attempts": 4})
    config = parse_config(data)
    prepare_database(config, engine)
    services = Services(config, db.make_sessionmaker(engine), clock)
    emu = Emulator()
    await emu.start()
    bot = Bot(emu.token, base_url=emu.api_base_url, base_file_url=emu.file_base_url)
    try:
        await bot.initialize()
        broken = emu._register_file("document", 2000, "documents/broken.pdf", b"%PDF")
        photo = emu._register_file("photo", 2000, "photos/after.jpg", b"\xff\xd8 jpeg")

        def mark(uow: UnitOfWork) -> None:
            files.keep(uow.session, uow.now, broken, FileKind.DOCUMENT, file_name="broken.pdf")
            files.keep(uow.session, uow.now, photo, FileKind.PHOTO)

        services.call(mark)
        keeper = FileKeeper(bot, services, Unwritable(tmp_path / "kept"))
        assert await keeper.keep_due() == 1  # the photo after the broken file is kept
        for _ in range(10):  # far more passes than tries: the backoff decides
            clock.advance(timedelta(minutes=31))
            await keeper.keep_due()
        rows = {k.file_id: k for k in kept_rows(services)}
        assert rows[photo].status == KeepStatus.KEPT
        assert rows[broken].status == KeepStatus.FAILED and rows[broken].attempts == 4
        assert "File name too long" in (rows[broken].last_error or "")
        asked = [p for m, p in emu.calls if m == "getFile" and p["file_id"] == broken]
        assert len(asked) == 4
        with services.sessions() as session:
            alerts = session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == Purpose.ADMIN)
            ).all()
        admins = {a["telegram_id"] for a in data["people"] if a.get("admin")}
        assert alerts and {a.chat_id for a in alerts} <= admins
        assert len(alerts) == len({a.chat_id for a in alerts})  # once each
    finally:
        await bot.shutdown()
        await emu.stop()
        services.close()


def kept_rows(services: Any) -> list[KeptFile]:
    with services.sessions() as session:
        return list(session.scalars(select(KeptFile).order_by(KeptFile.id)))


def test_stored_names_are_capped_by_bytes_with_their_extension() -> None:
    long_chinese = "轴" * 100 + ".pdf"
    capped = safe_name(long_chinese)
    assert capped.endswith(".pdf") and len(capped.encode()) <= 200
    assert capped.encode().decode() == capped  # no character cut in half
    assert safe_name("a" * 300).startswith("a") and len(safe_name("a" * 300).encode()) <= 200
    # Not an extension but a long tail: cut like the rest of the name.
    assert len(safe_name("报告." + "甲" * 90).encode()) <= 200
