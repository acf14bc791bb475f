"""The company as the configuration describes it: people and group chats, mirrored
into the database so that the event log and every right check can refer to them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import KesuConfig
from bot.procedure.grading import CustomerClass, Plant
from bot.procedure.routing import Group
from bot.services.events import Actor, log_event
from bot.services.notices import Notice, admin_recipients, post
from bot.services.uow import Caller, UnitOfWork
from bot.views import notices
from bot.views.models import Message
from storage import queries
from storage.models import Customer, Purpose

log = logging.getLogger(__name__)

CHAT_MIGRATED = "chat_migrated"  # the event a group's upgrade to a supergroup leaves


@dataclass(frozen=True)
class ChatMoved:
    caller: Caller
    old: int
    new: int


def mirror(uow: UnitOfWork, config: KesuConfig | None = None) -> None:
    """People who left the list stay, inactive, for the history. A group the file names
    by an id Telegram has since replaced (upgraded to a supergroup) means the new one."""
    config = config or uow.config
    queries.sync_people(
        uow.session,
        (
            {
                "telegram_id": p.telegram_id,
                "name": p.name,
                "role": p.role,
                "plant": p.plant,
                "language": p.language,
                "is_admin": p.admin,
            }
            for p in config.people
        ),
    )
    outdated = queries.sync_chats(uow.session, configured_chats(config))
    for old in outdated:
        log.warning("chats: group %s is a supergroup now; Kesu sends to its new id", old)


def configured_chats(config: KesuConfig) -> list[tuple[Group, Plant | None, int]]:
    """The groups the configuration file names: (purpose, plant or None, chat id)."""
    chats = config.chats
    return [
        (Group.LEADERSHIP, None, chats.leadership),
        (Group.SALES, None, chats.sales),
        (Group.QC, Plant.HUANGWU, chats.qc.huangwu),
        (Group.QC, Plant.LAISHAN, chats.qc.laishan),
        (Group.PRODUCTION, Plant.HUANGWU, chats.production.huangwu),
        (Group.PRODUCTION, Plant.LAISHAN, chats.production.laishan),
        *(
            (group, None, chat_id)
            for group, chat_id in (
                (Group.EQUIPMENT, chats.equipment),
                (Group.PURCHASING, chats.purchasing),
                (Group.HR, chats.hr),
            )
            if chat_id is not None
        ),
    ]


def chat_moved(uow: UnitOfWork, command: ChatMoved) -> bool:
    """Telegram's service message: a group became a supergroup. False when known."""
    actor = Actor.of(command.caller, uow.person(command.caller))
    return move_chat(uow.session, uow.config, command.old, command.new, uow.now, actor)


def move_chat(
    session: Session, config: KesuConfig, old: int, new: int, now: datetime, actor: Actor
) -> bool:
    """Send to the supergroup from now on: the group's bindings and its unsent rows move,
    the event log keeps it, and the admins are told to update the configuration file."""
    if not queries.move_chat(session, old, new, now):
        return False
    log_event(session, actor, CHAT_MIGRATED, now, old=old, new=new)
    log.warning("chat %s became supergroup %s; notices go there now", old, new)
    to = admin_recipients(session, config)
    post(
        session,
        Notice(
            Purpose.ADMIN, to, lambda language: [Message(notices.chat_moved(old, new, language))]
        ),
        now,
    )
    return True


def add_customers(uow: UnitOfWork, customers: list[tuple[str, CustomerClass, str]]) -> None:
    """Known customers (name, class, phone), as the register already holds them."""
    for name, customer_class, phone in customers:
        if queries.customer_by_name(uow.session, name) is None:
            uow.session.add(
                Customer(
                    name=name,
                    customer_class=customer_class,
                    contact_phone=phone,
                    created_at=uow.now,
                )
            )


def set_language(uow: UnitOfWork, language: str | None) -> None:
    """Everyone reads Kesu in this language (None: their Telegram client's)."""
    for person in queries.active_people(uow.session):
        person.language = language
