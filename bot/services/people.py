"""People and groups managed from Telegram, no restart: an admin's invitation link
(/invite), the list and its changes (/people), a group bound to a purpose (/bindchat).

The database holds the people and groups. The configuration file still names some of
them and wins for those at the next start (`company.mirror`); each answer that changes
something the file names says so. Whom Telegram enrolled stays whatever the file says.
Every change is an event with who did it, when and from where.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bot.procedure import access
from bot.procedure.grading import Plant
from bot.procedure.people import handed_back_to, invite_hash, invite_valid, needs_plant
from bot.procedure.roles import Role
from bot.procedure.routing import Group
from bot.services.company import configured_chats
from bot.services.events import Actor, log_event
from bot.services.mapping import who
from bot.services.notices import Notice, Recipient, admin_recipients, language_of, post, recipients
from bot.services.uow import Caller, UnitOfWork
from bot.views import people as views
from bot.views.models import (
    ChatBound,
    Enrolled,
    EnrolOutcome,
    Invited,
    InviteList,
    MemberView,
    Message,
    PendingInvite,
    PeopleOutcome,
    PeopleView,
    PersonChanged,
)
from storage import queries
from storage.models import Invite, Person, Purpose

INVITED = "invite_made"
REVOKED = "invite_revoked"
ENROLLED = "person_enrolled"
CHANGED = "person_changed"
REMOVED = "person_removed"
BOUND = "chat_bound"


@dataclass(frozen=True)
class MakeInvite:
    caller: Caller  # caller.chat_id: where /invite was sent
    role: Role
    plant: Plant | None = None


@dataclass(frozen=True)
class RevokeInvite:
    caller: Caller
    number: int


@dataclass(frozen=True)
class Enrol:
    """Someone opened an invitation link (`/start <token>` in their private chat)."""

    caller: Caller
    token: str
    name: str  # as their Telegram profile gives it


@dataclass(frozen=True)
class SetRole:
    role: Role
    plant: Plant | None = None  # None keeps the plant they have


@dataclass(frozen=True)
class SetPlant:
    plant: Plant | None  # None: both plants


@dataclass(frozen=True)
class SetLanguage:
    language: str | None  # None: their Telegram client's


@dataclass(frozen=True)
class Remove:
    pass


Change = SetRole | SetPlant | SetLanguage | Remove


@dataclass(frozen=True)
class ChangePerson:
    caller: Caller
    person_id: int
    change: Change


@dataclass(frozen=True)
class BindChat:
    caller: Caller  # caller.chat_id is the group to bind
    group: Group
    plant: Plant | None
    is_group: bool  # a group or supergroup, not a private chat


def member_view(person: Person) -> MemberView:
    return MemberView(
        id=person.id,
        name=person.name,
        role=person.role,
        plant=person.plant,
        language=person.language,
        is_admin=person.is_admin,
        from_file=person.from_file,
    )


def _admin(uow: UnitOfWork, caller: Caller) -> Person | None:
    person = uow.person(caller)
    return person if person is not None and access.may_manage_people(who(person)) else None


def _inviting(uow: UnitOfWork, caller: Caller) -> tuple[Person | None, PeopleOutcome]:
    """An admin in their own private chat, or why not: invitation links are made, listed
    and withdrawn only there (a link posted in a group is anyone's who reads it)."""
    admin = _admin(uow, caller)
    if admin is None:
        return None, PeopleOutcome.NOT_ALLOWED
    if not _private(caller):
        return None, PeopleOutcome.NOT_PRIVATE
    return admin, PeopleOutcome.OK


def make_invite(uow: UnitOfWork, command: MakeInvite) -> Invited:
    admin, outcome = _inviting(uow, command.caller)
    if admin is None:
        return Invited(outcome)
    # 24 random bytes: 32 characters of Telegram's deep-link alphabet (A-Z a-z 0-9 _ -).
    token = secrets.token_urlsafe(24)
    expires_at = uow.now + invite_valid(command.role)
    uow.session.add(
        Invite(
            token_hash=invite_hash(token),
            role=command.role,
            plant=command.plant,
            made_by_id=admin.id,
            made_at=uow.now,
            expires_at=expires_at,
        )
    )
    log_event(
        uow.session,
        Actor.of(command.caller, admin),
        INVITED,
        uow.now,
        role=command.role.value,
        plant=command.plant.value if command.plant else None,
    )
    return Invited(PeopleOutcome.OK, token, command.role, command.plant, expires_at)


def _private(caller: Caller) -> bool:
    """A private chat's id is the person's own Telegram id."""
    return caller.chat_id is not None and caller.chat_id == caller.telegram_id


def pending_invites(uow: UnitOfWork, caller: Caller) -> InviteList:
    """/invite list: the links nobody opened yet, to an admin in their private chat."""
    admin, outcome = _inviting(uow, caller)
    return InviteList(outcome, _pending(uow) if admin is not None else ())


def _pending(uow: UnitOfWork) -> tuple[PendingInvite, ...]:
    return tuple(
        PendingInvite(i.id, i.role, i.plant, i.made_by.name, i.made_at, i.expires_at)
        for i in queries.pending_invites(uow.session, uow.now)
    )


def revoke_invite(uow: UnitOfWork, command: RevokeInvite) -> InviteList:
    """/invite revoke N: the link stops working at once; an event says who withdrew it."""
    admin, outcome = _inviting(uow, command.caller)
    if admin is None:
        return InviteList(outcome)
    pending = _pending(uow)
    invite = uow.session.get(Invite, command.number)
    if invite is None or invite.id not in {p.number for p in pending}:
        return InviteList(PeopleOutcome.UNKNOWN, pending)
    invite.revoked_at = uow.now
    log_event(uow.session, Actor.of(command.caller, admin), REVOKED, uow.now, invite=invite.id)
    left = tuple(p for p in pending if p.number != invite.id)
    return InviteList(PeopleOutcome.OK, left, revoked=invite.id)


def enrol(uow: UnitOfWork, command: Enrol) -> Enrolled:
    """Whoever opens the link first, before it expires, is in with its role and plant;
    someone who left before comes back with them."""
    session, telegram_id = uow.session, command.caller.telegram_id
    assert telegram_id is not None
    invite = queries.invite_by_token(session, command.token)
    if invite is None:
        return Enrolled(EnrolOutcome.UNKNOWN)
    current = uow.person(command.caller)
    if current is not None:
        return Enrolled(EnrolOutcome.ALREADY, member_view(current))
    if invite.used_at is not None:
        return Enrolled(EnrolOutcome.USED)
    if invite.revoked_at is not None:
        return Enrolled(EnrolOutcome.REVOKED)
    if invite.expires_at <= uow.now:
        return Enrolled(EnrolOutcome.EXPIRED)
    if not queries.claim_invite(session, invite.id, uow.now):
        return Enrolled(EnrolOutcome.USED)  # someone opened it a moment before
    person = queries.person_ever(session, telegram_id)  # who left before comes back
    if person is None:
        person = Person(telegram_id=telegram_id, name=command.name[:64] or str(telegram_id))
        session.add(person)
    person.role, person.plant = invite.role, invite.plant
    person.active, person.from_file, person.is_admin = True, False, False
    person.language = person.language or _client_language(command.caller.client_language)
    session.flush()
    invite.used_by_id = person.id
    log_event(
        session,
        Actor.of(command.caller, person),
        ENROLLED,
        uow.now,
        invite=invite.id,
        invited_by=invite.made_by_id,
        role=invite.role.value,
        plant=invite.plant.value if invite.plant else None,
    )
    member = member_view(person)
    _tell_admins(uow, lambda language: [Message(views.enrolled_notice(member, language))])
    return Enrolled(EnrolOutcome.ENROLLED, member)


def _client_language(code: str | None) -> str | None:
    """Kesu's language for a Telegram client's: English for English, else the default."""
    return "en" if code and code.lower().startswith("en") else None


def people(uow: UnitOfWork, caller: Caller) -> PeopleView:
    if _admin(uow, caller) is None:
        return PeopleView(allowed=False)
    return PeopleView(True, tuple(member_view(p) for p in queries.people_listed(uow.session)))


def change_person(uow: UnitOfWork, command: ChangePerson) -> PersonChanged:
    admin = _admin(uow, command.caller)
    if admin is None:
        return PersonChanged(PeopleOutcome.NOT_ALLOWED)
    person = queries.person_by_id(uow.session, command.person_id)
    if person is None or not person.active:
        return PersonChanged(PeopleOutcome.UNKNOWN)
    change, actor = command.change, Actor.of(command.caller, admin)
    if isinstance(change, Remove):
        if person.id == admin.id:
            return PersonChanged(PeopleOutcome.YOURSELF, member_view(person))
        return _remove(uow, person, actor)
    before = member_view(person)
    if isinstance(change, SetRole):
        person.role = change.role
        person.plant = change.plant or person.plant
    elif isinstance(change, SetPlant):
        person.plant = change.plant
    else:
        person.language = change.language
    after = member_view(person)
    if after == before:
        return PersonChanged(PeopleOutcome.UNCHANGED, after)
    log_event(
        uow.session,
        actor,
        CHANGED,
        uow.now,
        person=person.id,
        role=[before.role.value, after.role.value],
        plant=[p.value if p else None for p in (before.plant, after.plant)],
        language=[before.language, after.language],
    )
    to = [Recipient(person.telegram_id, language_of(person, uow.config))]
    post(
        uow.session,
        Notice(Purpose.PEOPLE, to, lambda language: [Message(views.you_changed(after, language))]),
        uow.now,
    )
    return PersonChanged(PeopleOutcome.OK, after)


def _remove(uow: UnitOfWork, person: Person, actor: Actor) -> PersonChanged:
    """They lose access at once (every right is checked against the active people); the
    steps named on them go back to their department's group, which is told."""
    session, now = uow.session, uow.now
    person.active = False
    member = member_view(person)
    steps = queries.open_steps_assigned_to(session, person.id)
    for step in steps:
        step.assignee_id = None
        uow.touch(step)
        complaint = step.complaint

        def render(
            language: str, key: str = step.key, number: str = complaint.number
        ) -> list[Message]:
            return [Message(views.handed_back(member, number, key, language))]

        audience = handed_back_to(person.role, complaint.plant)
        to = recipients(session, uow.config, audience)
        post(session, Notice(Purpose.TASK, to, render, complaint=complaint), now)
    log_event(session, actor, REMOVED, now, person=person.id, handed_back=[s.id for s in steps])
    return PersonChanged(PeopleOutcome.OK, member, True, len(steps))


def bind_chat(uow: UnitOfWork, command: BindChat) -> ChatBound:
    admin = _admin(uow, command.caller)
    if admin is None:
        return ChatBound(PeopleOutcome.NOT_ALLOWED)
    chat_id = command.caller.chat_id
    if not command.is_group or chat_id is None:
        return ChatBound(PeopleOutcome.NOT_A_GROUP)
    group = command.group
    if needs_plant(group) and command.plant is None:
        return ChatBound(PeopleOutcome.NEEDS_PLANT, group)
    plant = command.plant if needs_plant(group) else None
    replaced = queries.bind_chat(uow.session, group, plant, chat_id)
    file_names = next(
        (
            configured
            for g, p, configured in configured_chats(uow.config)
            if (g, p) == (group, plant) and configured != chat_id
        ),
        None,
    )
    log_event(
        uow.session,
        Actor.of(command.caller, admin),
        BOUND,
        uow.now,
        group=group.value,
        plant=plant.value if plant else None,
        chat=chat_id,
        replaced=replaced,
    )
    return ChatBound(PeopleOutcome.OK, group, plant, replaced, file_names)


def _tell_admins(uow: UnitOfWork, render: Callable[[str], list[Message]]) -> None:
    to = admin_recipients(uow.session, uow.config)
    post(uow.session, Notice(Purpose.PEOPLE, to, render), uow.now)
