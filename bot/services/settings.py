"""A person's own settings (/settings): pinged at night too, or not."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.events import Actor, log_event
from bot.services.uow import Caller, UnitOfWork
from bot.views.models import SettingsView


@dataclass(frozen=True)
class SetNightPings:
    caller: Caller
    on: bool


def settings(uow: UnitOfWork, caller: Caller) -> SettingsView:
    person = uow.person(caller)
    hours = uow.config.working_hours
    return SettingsView(
        known=person is not None,
        night_pings=bool(person and person.night_pings),
        quiet_hours=hours.enabled,
        start=hours.start,
        end=hours.end,
        days=tuple(hours.days),
    )


def set_night_pings(uow: UnitOfWork, command: SetNightPings) -> SettingsView:
    person = uow.person(command.caller)
    if person is not None and person.night_pings != command.on:
        person.night_pings = command.on
        log_event(
            uow.session,
            Actor.of(command.caller, person),
            "settings_changed",
            uow.now,
            night_pings=command.on,
        )
    return settings(uow, command.caller)
