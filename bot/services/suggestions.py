"""Improvement suggestions (合理化建议): proposed by anyone on the people list, adopted or
declined by leadership, the realised benefit recorded later and the 10 % reward kept."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.procedure import access
from bot.procedure.numbering import format_number, parse_number
from bot.procedure.routing import Group, GroupChat, Named
from bot.procedure.suggestions import SuggestionStatus, parse_yuan, reward_for
from bot.services import mapping
from bot.services.events import Actor, log_event, log_refusal
from bot.services.notices import Notice, post, recipients
from bot.services.steps import PromptReply, ReplyResult
from bot.services.uow import Caller, UnitOfWork
from bot.views import cards
from bot.views.models import SuggestionView
from storage import queries
from storage.models import Purpose, Suggestion


class SuggestionResult(StrEnum):
    OK = "ok"
    NOT_REGISTERED = "not_registered"
    EMPTY = "empty"  # no text
    BAD_NUMBER = "bad_number"  # a complaint number that is none of theirs
    DENIED = "denied"
    DECIDED = "decided"  # adopted or declined already
    NOT_ADOPTED = "not_adopted"  # a benefit for a suggestion that was not adopted
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Propose:
    caller: Caller
    text: str  # may start with a complaint number it concerns: "KS-2026-0001 ..."


@dataclass(frozen=True)
class Decide:
    caller: Caller
    suggestion_id: int
    adopt: bool


@dataclass(frozen=True)
class RecordBenefit:
    caller: Caller
    suggestion_id: int
    benefit: Decimal


@dataclass(frozen=True)
class Done:
    result: SuggestionResult
    suggestion: SuggestionView | None = None


@dataclass(frozen=True)
class SuggestionList:
    allowed: bool
    suggestions: tuple[SuggestionView, ...] = ()
    all_of_them: bool = False
    total_reward: Decimal = Decimal(0)


def propose(uow: UnitOfWork, command: Propose) -> Done:
    person = uow.person(command.caller)
    if person is None:
        return Done(SuggestionResult.NOT_REGISTERED)
    text = command.text.strip()
    first, _, rest = text.partition(" ")
    complaint = None
    parsed = parse_number(first)
    if parsed is not None:
        complaint = queries.complaint_by_number(uow.session, format_number(*parsed))
        if complaint is None or not access.may_see(mapping.who(person), mapping.case(complaint)):
            return Done(SuggestionResult.BAD_NUMBER)
        text = rest.strip()
    if not text:
        return Done(SuggestionResult.EMPTY)
    suggestion = Suggestion(
        text=text,
        complaint=complaint,
        proposed_by=person,
        proposed_at=uow.now,
        status=SuggestionStatus.PROPOSED,
    )
    uow.session.add(suggestion)
    uow.session.flush()
    log_event(
        uow.session,
        Actor.of(command.caller, person),
        "suggestion_made",
        uow.now,
        complaint,
        suggestion=suggestion.id,
    )
    # Leadership decide it: the card goes to their group with Adopt / Decline.
    _post(uow, suggestion, [GroupChat(Group.LEADERSHIP)], deciding=True)
    return Done(SuggestionResult.OK, mapping.suggestion_view(suggestion))


def decide(uow: UnitOfWork, command: Decide) -> Done:
    suggestion = uow.session.get(Suggestion, command.suggestion_id)
    if suggestion is None:
        return Done(SuggestionResult.NOT_FOUND)
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    if person is None or not access.may_decide_suggestion(mapping.who(person)):
        log_refusal(uow.session, actor, uow.now, None, button="suggestion")
        return Done(SuggestionResult.DENIED, mapping.suggestion_view(suggestion))
    if suggestion.status is not SuggestionStatus.PROPOSED:
        return Done(SuggestionResult.DECIDED, mapping.suggestion_view(suggestion))
    suggestion.status = SuggestionStatus.ADOPTED if command.adopt else SuggestionStatus.DECLINED
    suggestion.decided_by = person
    suggestion.decided_at = uow.now
    uow.session.flush()
    log_event(
        uow.session,
        actor,
        "suggestion_decided",
        uow.now,
        suggestion.complaint,
        suggestion=suggestion.id,
        adopted=command.adopt,
    )
    _post(uow, suggestion, [Named(suggestion.proposed_by_id)])
    return Done(SuggestionResult.OK, mapping.suggestion_view(suggestion))


def record_benefit(uow: UnitOfWork, command: RecordBenefit) -> Done:
    """The realised benefit of an adopted suggestion; the reward is 10 % of it."""
    suggestion = uow.session.get(Suggestion, command.suggestion_id)
    if suggestion is None:
        return Done(SuggestionResult.NOT_FOUND)
    person = uow.person(command.caller)
    if person is None or not access.may_decide_suggestion(mapping.who(person)):
        return Done(SuggestionResult.DENIED, mapping.suggestion_view(suggestion))
    if suggestion.status is not SuggestionStatus.ADOPTED:
        return Done(SuggestionResult.NOT_ADOPTED, mapping.suggestion_view(suggestion))
    suggestion.benefit = command.benefit
    suggestion.reward = reward_for(command.benefit)
    suggestion.benefit_recorded_at = uow.now
    uow.session.flush()
    log_event(
        uow.session,
        Actor.of(command.caller, person),
        "suggestion_benefit",
        uow.now,
        suggestion.complaint,
        suggestion=suggestion.id,
        benefit=str(suggestion.benefit),
        reward=str(suggestion.reward),
    )
    _post(uow, suggestion, [Named(suggestion.proposed_by_id)])
    return Done(SuggestionResult.OK, mapping.suggestion_view(suggestion))


def list_suggestions(uow: UnitOfWork, caller: Caller) -> SuggestionList:
    """Leadership and QC see every suggestion; anyone else their own."""
    person = uow.person(caller)
    if person is None:
        return SuggestionList(allowed=False)
    all_of_them = access.sees_all(mapping.who(person))
    rows = queries.suggestions(uow.session, None if all_of_them else person.id)
    views = tuple(mapping.suggestion_view(s) for s in rows)
    total = sum((v.reward for v in views if v.reward is not None), Decimal(0))
    return SuggestionList(True, views, all_of_them, total)


def _post(
    uow: UnitOfWork,
    suggestion: Suggestion,
    audience: list[GroupChat | Named],
    *,
    deciding: bool = False,
) -> None:
    view = mapping.suggestion_view(suggestion)
    tz = uow.config.timezone
    post(
        uow.session,
        Notice(
            Purpose.SUGGESTION,
            recipients(uow.session, uow.config, audience),
            lambda language: [cards.suggestion(view, language, tz, deciding)],
            complaint=suggestion.complaint,
        ),
        uow.now,
    )


def reply_benefit(uow: UnitOfWork, command: PromptReply) -> ReplyResult:
    """The amount replied to the prompt that "Record the benefit" asked for."""
    try:
        benefit = parse_yuan(command.text or "")
    except ValueError:
        return ReplyResult.NEEDS_TEXT
    done = record_benefit(uow, RecordBenefit(command.caller, command.target_id, benefit))
    return (
        ReplyResult.BENEFIT_RECORDED
        if done.result is SuggestionResult.OK
        else (ReplyResult.NOT_ALLOWED)
    )
