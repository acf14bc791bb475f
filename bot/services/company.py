"""The company as the configuration describes it: people and group chats, mirrored
into the database so that the event log and every right check can refer to them."""

from __future__ import annotations

from bot.config import KesuConfig
from bot.procedure.grading import Plant
from bot.procedure.routing import Group
from bot.services.uow import UnitOfWork
from storage import queries


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
        ],
    )
