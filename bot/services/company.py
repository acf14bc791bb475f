"""The company as the configuration describes it: people and group chats, mirrored
into the database so that the event log and every right check can refer to them."""

from __future__ import annotations

from bot.config import KesuConfig
from bot.procedure.grading import CustomerClass, Plant
from bot.procedure.routing import Group
from bot.services.uow import UnitOfWork
from storage import queries
from storage.models import Customer


def mirror(uow: UnitOfWork, config: KesuConfig | None = None) -> None:
    """People who left the list stay, inactive, for the history."""
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
    chats = config.chats
    queries.sync_chats(
        uow.session,
        [
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
        ],
    )


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
