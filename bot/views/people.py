"""People and groups as admins manage them: the list, an invitation, an answer to a
change, a group bound; and the notices these send."""

from __future__ import annotations

from bot.procedure.roles import Role
from bot.procedure.steps import STEP_BY_ID
from bot.views import labels
from bot.views.i18n import N_, gettext
from bot.views.models import (
    ChatBound,
    Enrolled,
    Invited,
    InviteList,
    MemberView,
    PeopleView,
    PersonChanged,
)
from bot.views.render import render, render_messages, split_html

NOT_ALLOWED = N_("Only the admins manage people and groups.")
NOT_PRIVATE = N_(
    "Send /invite in your private chat with Kesu: a link posted in a group is anyone's "
    "who reads it."
)
NO_SUCH_INVITE = N_("There is no waiting link with that number: /invite list shows them.")
NOT_A_GROUP = N_("/bindchat works in the group to bind: add Kesu there and send it there.")
INVITE_USAGE = N_(
    "Usage: /invite ROLE [PLANT], e.g. /invite qc huangwu. Roles: {roles}. "
    "Plants: huangwu, laishan. /invite list shows the links not opened yet, "
    "/invite revoke NUMBER withdraws one."
)
BIND_USAGE = N_(
    "Usage: /bindchat GROUP [PLANT], e.g. /bindchat qc laishan. Groups: {groups}; "
    "qc and production need the plant (huangwu or laishan)."
)
PEOPLE_USAGE = N_(
    "Usage: /people NUMBER role ROLE [PLANT] | plant PLANT | language zh_CN or en | remove. "
    "/people alone lists everyone with their numbers."
)


def usage(language: str, text: str, **params: object) -> str:
    return gettext(language, text, **params)


def people_list(view: PeopleView, language: str) -> list[str]:
    return render_messages("people/list.html", language, p=view, roles=list(Role))


def invited(view: Invited, link: str, language: str, tz: str) -> str:
    return render("people/invited.html", language, i=view, link=link, tz=tz)


def invites(view: InviteList, language: str, tz: str) -> list[str]:
    return render_messages("people/invites.html", language, l=view, tz=tz)


def enrolled(view: Enrolled, language: str) -> str:
    return render("people/enrolled.html", language, e=view)


def changed(view: PersonChanged, language: str) -> str:
    return render("people/changed.html", language, c=view)


def bound(view: ChatBound, this_chat: int, language: str) -> str:
    what = gettext(language, labels.GROUPS[view.group]) if view.group else ""
    if view.plant:
        what += " · " + gettext(language, labels.PLANTS[view.plant])
    return render("people/bound.html", language, b=view, what=what, this=this_chat)


# Notices ------------------------------------------------------------------------------


def enrolled_notice(member: MemberView, language: str) -> str:
    return split_html(render("notices/enrolled.html", language, m=member))[0]


def you_changed(member: MemberView, language: str) -> str:
    return split_html(render("notices/you_changed.html", language, m=member))[0]


def handed_back(member: MemberView, number: str, step_key: str, language: str) -> str:
    text = render(
        "notices/handed_back.html",
        language,
        name=member.name,
        number=number,
        step=STEP_BY_ID[step_key].title,
    )
    return split_html(text)[0]
