"""People and groups managed from Telegram: /invite, an invitation link opened
(`/start <token>`), /people, /bindchat."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.procedure.bounds import parse_id
from bot.procedure.people import GROUP_WORDS, group_of, plant_of, role_of
from bot.procedure.roles import Role
from bot.services import people
from bot.views import people as views
from bot.views.i18n import LANGUAGES, gettext
from bot.views.models import PeopleOutcome
from handlers.common import Context, reply_text, send_parts

ROLE_KEYS = ", ".join(role.value for role in Role)
GROUP_KEYS = ", ".join(sorted({group.value for group in GROUP_WORDS.values()}))


async def invite_command(update: Update, context: Context) -> None:
    """/invite ROLE [PLANT]: a one-time link that enrols whoever opens it first;
    /invite list, /invite revoke N."""
    language = context.language
    words = context.args or []
    if words and words[0].lower() in ("list", "revoke"):
        await _invites(update, context, words)
        return
    role = role_of(words[0]) if words else None
    plant = plant_of(words[1]) if len(words) > 1 else None
    if role is None or len(words) > 2 or (len(words) == 2 and plant is None):
        await reply_text(update, views.usage(language, views.INVITE_USAGE, roles=ROLE_KEYS))
        return
    made = await context.services.run(
        people.make_invite, people.MakeInvite(context.caller, role, plant)
    )
    if made.outcome is not PeopleOutcome.OK:
        await reply_text(update, gettext(language, REFUSED[made.outcome]))
        return
    link = f"https://t.me/{context.bot.username}?start={made.token}"
    tz = context.services.config.timezone
    await send_parts(update, [views.invited(made, link, language, tz)])


REFUSED = {
    PeopleOutcome.NOT_ALLOWED: views.NOT_ALLOWED,
    PeopleOutcome.NOT_PRIVATE: views.NOT_PRIVATE,
    PeopleOutcome.UNKNOWN: views.NO_SUCH_INVITE,
}


async def _invites(update: Update, context: Context, words: list[str]) -> None:
    language = context.language
    if words[0].lower() == "list" and len(words) == 1:
        found = await context.services.run(people.pending_invites, context.caller)
    elif len(words) == 2 and (number := parse_id(words[1])) is not None:
        found = await context.services.run(
            people.revoke_invite, people.RevokeInvite(context.caller, number)
        )
    else:
        await reply_text(update, views.usage(language, views.INVITE_USAGE, roles=ROLE_KEYS))
        return
    if found.outcome is not PeopleOutcome.OK:
        await reply_text(update, gettext(language, REFUSED[found.outcome]))
        return
    await send_parts(update, views.invites(found, language, context.services.config.timezone))


async def start_with_link(update: Update, context: Context) -> None:
    """Someone opened an invitation link: Telegram sends `/start <token>`."""
    user = update.effective_user
    assert user is not None
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    token = (context.args or [""])[0]
    enrolled = await context.services.run(people.enrol, people.Enrol(context.caller, token, name))
    # Their language from now on is the one just stored (or their client's).
    language = context.language
    await send_parts(update, [views.enrolled(enrolled, language)])


async def people_command(update: Update, context: Context) -> None:
    """/people lists; /people N role|plant|language|remove changes someone."""
    language = context.language
    words = context.args or []
    if not words:
        listed = await context.services.run(people.people, context.caller)
        if not listed.allowed:
            await reply_text(update, gettext(language, views.NOT_ALLOWED))
            return
        await send_parts(update, views.people_list(listed, language))
        return
    number = parse_id(words[0])
    change = _change(words[1:]) if number is not None else None
    if number is None or change is None:
        await reply_text(update, gettext(language, views.PEOPLE_USAGE))
        return
    changed = await context.services.run(
        people.change_person, people.ChangePerson(context.caller, number, change)
    )
    if changed.outcome is PeopleOutcome.NOT_ALLOWED:
        await reply_text(update, gettext(language, views.NOT_ALLOWED))
        return
    await send_parts(update, [views.changed(changed, context.language)])


def _change(words: list[str]) -> people.Change | None:
    """What `/people N ...` asks for, or None when it cannot be read."""
    if not words:
        return None
    what, rest = words[0].lower(), words[1:]
    if what == "role" and 1 <= len(rest) <= 2:
        role = role_of(rest[0])
        plant = plant_of(rest[1]) if len(rest) == 2 else None
        if role is None or (len(rest) == 2 and plant is None):
            return None
        return people.SetRole(role, plant)
    if what == "plant" and len(rest) == 1:
        if rest[0].lower() in ("both", "all", "两厂", "全部"):
            return people.SetPlant(None)
        plant = plant_of(rest[0])
        return people.SetPlant(plant) if plant else None
    if what == "language" and len(rest) == 1:
        chosen = next((code for code in LANGUAGES if code.lower() == rest[0].lower()), None)
        if chosen is None and rest[0].lower() in ("auto", "client"):
            return people.SetLanguage(None)
        return people.SetLanguage(chosen) if chosen else None
    if what == "remove" and not rest:
        return people.Remove()
    return None


async def bindchat_command(update: Update, context: Context) -> None:
    """/bindchat GROUP [PLANT], sent in the group to bind."""
    language = context.language
    words = context.args or []
    group = group_of(words[0]) if words else None
    plant = plant_of(words[1]) if len(words) > 1 else None
    usage = views.usage(language, views.BIND_USAGE, groups=GROUP_KEYS)
    if group is None or len(words) > 2 or (len(words) == 2 and plant is None):
        await reply_text(update, usage)
        return
    chat = update.effective_chat
    is_group = chat is not None and chat.type in (chat.GROUP, chat.SUPERGROUP)
    bound = await context.services.run(
        people.bind_chat, people.BindChat(context.caller, group, plant, is_group)
    )
    if bound.outcome is PeopleOutcome.NOT_ALLOWED:
        await reply_text(update, gettext(language, views.NOT_ALLOWED))
    elif bound.outcome is PeopleOutcome.NOT_A_GROUP:
        await reply_text(update, gettext(language, views.NOT_A_GROUP))
    elif bound.outcome is PeopleOutcome.NEEDS_PLANT:
        await reply_text(update, usage)
    else:
        assert chat is not None
        await send_parts(update, [views.bound(bound, chat.id, language)])


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("start", start_with_link, filters=filters.ChatType.PRIVATE, has_args=True),
        CommandHandler("invite", invite_command),
        CommandHandler("people", people_command),
        CommandHandler("bindchat", bindchat_command),
    ]
