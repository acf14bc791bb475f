"""Boards: one message per chat (each leading VP's, the GM's, each department group's)
listing its open and overdue steps, pinned and edited in place as steps move.

`refresh` recomputes every board and posts an edit where what it shows changed (an edit
makes no sound); a board not sent yet, or an edit still waiting for its chat's turn, is
replaced by the newer one. The board's outbox row (with Telegram's message id) is kept
in `chat_notices`, so it survives restarts; the sender tells `lost` when Telegram no
longer has it (deleted), and the next refresh posts it again, pinned.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.procedure.digests import BOARD_NAMED, DUE_SOON
from bot.procedure.grading import Plant
from bot.procedure.roles import Role
from bot.procedure.routing import Person, leading_roles, task_audience
from bot.procedure.steps import STEP_BY_ID
from bot.services import mapping
from bot.services.notices import Notice, Recipient, language_of_chat, post, recipients
from bot.services.uow import UnitOfWork
from bot.views import cards
from bot.views.models import BoardView, DigestLine, Message
from storage import queries
from storage.models import ChatNotices, Method, Purpose, Step

GM, VP, GROUP = "gm", "vp", "group"
# The boards name the most overdue steps of the company's this many most overdue: a
# group's own most overdue are among them unless hundreds are later than theirs.
NAMED_FROM = 500


def refresh(uow: UnitOfWork) -> int:
    """Bring every board up to date; returns how many were posted or edited.

    The counts come from the database grouped by what decides a step's chats (its kind,
    plant and people), so a company with a hundred thousand open steps is a few
    hundred groups; the steps named come from the most overdue of all."""
    if not uow.config.reminders.boards:
        return 0
    session, now = uow.session, uow.now
    gm = {p.telegram_id for p in queries.people_with_role(session, Role.GM)}
    vps = {
        p.telegram_id
        for role in (Role.VP_EXEC, Role.VP_PRODUCTION, Role.VP_MARKETING)
        for p in queries.people_with_role(session, role)
    }
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # open, soon, overdue
    chats_of: dict[tuple[str, Plant, int, int | None], set[int]] = {}
    for group in queries.open_step_groups(session, now, now + DUE_SOON):
        key = (group.key, group.plant, group.filed_by_id, group.assignee_id)
        chats_of[key] = _chats_of(uow, *key, gm)
        for chat_id in chats_of[key]:
            totals = counts[chat_id]
            totals[0] += group.open_steps
            totals[1] += group.due_soon
            totals[2] += group.overdue
    named: dict[int, list[Step]] = defaultdict(list)
    for step in queries.most_overdue_steps(session, now, NAMED_FROM):
        c = step.complaint
        key = (step.key, c.plant, c.filed_by_id, step.assignee_id)
        for chat_id in chats_of.get(key) or _chats_of(uow, *key, gm):
            if len(named[chat_id]) < BOARD_NAMED:
                named[chat_id].append(step)
    changed = 0
    kept = {b.chat_id for b in queries.boards(session)}
    for chat_id in sorted(set(counts) | kept):
        scope = GM if chat_id in gm else VP if chat_id in vps else GROUP if chat_id < 0 else None
        if scope is None:
            continue  # a person's own tasks are in /mytasks, not on a board
        changed += _show(uow, chat_id, scope, counts.get(chat_id), named.get(chat_id, []))
    return changed


def _chats_of(
    uow: UnitOfWork,
    key: str,
    plant: Plant,
    filed_by_id: int,
    assignee_id: int | None,
    gm: set[int],
) -> set[int]:
    """The groups that own such a step, the VPs who lead its complaint, and the GM."""
    config = uow.config
    audience = [
        member
        for owner in (config.owner(key), *STEP_BY_ID[key].co_owners)
        for member in task_audience(
            owner,
            plant,
            filed_by_id=filed_by_id,
            assignee_id=assignee_id,
            leadership_group=False,
        )
    ]
    owners = recipients(uow.session, config, audience)
    leading = recipients(uow.session, config, [Person(role) for role in leading_roles(plant)])
    return {r.chat_id for r in owners if r.chat_id < 0} | {r.chat_id for r in leading} | gm


def _show(
    uow: UnitOfWork,
    chat_id: int,
    scope: str,
    counts: list[int] | None,
    named: Sequence[Step],
) -> int:
    session, now, config = uow.session, uow.now, uow.config
    notices = queries.chat_notices(session, chat_id)
    if counts is None and notices.board_row_id is None:
        return 0  # nothing to show, and no board yet: none is started empty
    open_, soon, overdue = counts or (0, 0, 0)
    view = BoardView(
        scope,
        open_,
        soon,
        overdue,
        tuple(DigestLine(mapping.step_view(s, config), s.complaint.grade) for s in named),
    )
    language = language_of_chat(session, config, chat_id)
    tz = config.timezone
    fingerprint = hashlib.sha256(
        cards.board(view, language, tz, now, None).text.encode()
    ).hexdigest()
    if fingerprint == notices.board_hash:
        return 0
    notices.board_hash = fingerprint
    _post(uow, notices, Recipient(chat_id, language), view)
    return 1


def _post(uow: UnitOfWork, notices: ChatNotices, to: Recipient, view: BoardView) -> None:
    session, now, tz = uow.session, uow.now, uow.config.timezone

    def render(language: str) -> list[Message]:
        return [cards.board(view, language, tz, now, now)]

    # The edit waiting for its turn is replaced by this newer one.
    queries.drop_unsent(session, to.chat_id, [Purpose.BOARD_EDIT])
    board = notices.board_row_id
    if board is not None and queries.drop_unsent(session, to.chat_id, [Purpose.BOARD]):
        board = None  # the board itself has not gone yet: this one goes instead
    if board is None:
        [row] = post(session, Notice(Purpose.BOARD, [to], render), now)
        row.payload = {**row.payload, "pin": True}
        session.flush()
        notices.board_row_id = row.id
        notices.board_pinned = None
        return
    post(
        session,
        Notice(Purpose.BOARD_EDIT, [to], render, method=Method.EDIT, edit_of={to.chat_id: board}),
        now,
    )


def lost(session: Session, chat_id: int) -> None:
    """Telegram no longer has the chat's board (someone deleted it): the next refresh
    posts a new one."""
    notices = queries.chat_notices(session, chat_id)
    notices.board_row_id = None
    notices.board_hash = None
    notices.board_pinned = None


def pinned(session: Session, chat_id: int, ok: bool, now: datetime) -> None:
    """Whether the board could be pinned (a group where the bot may not pin: False)."""
    notices = queries.chat_notices(session, chat_id)
    notices.board_pinned = ok
    notices.board_checked_at = now


def to_check(uow: UnitOfWork) -> list[tuple[int, int]]:
    """Each board Telegram has: (chat id, its message id), for the hourly look at
    whether it is still there and pinned."""
    found = []
    for notices in queries.boards(uow.session):
        assert notices.board_row_id is not None
        message_id = queries.outbox_message_id(uow.session, notices.board_row_id)
        if message_id is not None:
            found.append((notices.chat_id, message_id))
    return found
