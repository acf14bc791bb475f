"""Callback data: a small versioned codec, "v1:<family>:<action>[:<arg>]".

Telegram returns callback data as the client sent it: it is never trusted, only
parsed; every press is checked against the database by the handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.procedure.bounds import parse_id
from bot.procedure.costs import CostKind
from bot.views.render import CALLBACK_DATA_LIMIT

VERSION = "v1"
_PART = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")


class BadCallback(ValueError):
    pass


@dataclass(frozen=True)
class Callback:
    family: str  # "in" intake, "st" step button, "pl" plant of origin
    action: str
    arg: str = ""

    def encode(self) -> str:
        for part in (self.family, self.action) + ((self.arg,) if self.arg else ()):
            if not _PART.match(part):
                raise BadCallback(f"unsafe callback part {part!r}")
        data = f"{VERSION}:{self.family}:{self.action}"
        if self.arg:
            data += f":{self.arg}"
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise BadCallback(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
        return data

    @property
    def int_arg(self) -> int:
        found = parse_id(self.arg)
        if found is None:  # forged: not a number, or none a database holds
            raise BadCallback(f"not a number: {self.arg!r}")
        return found


def decode(data: str | None) -> Callback:
    if not data or len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise BadCallback("empty or oversized callback data")
    parts = data.split(":")
    if parts[0] != VERSION or len(parts) not in (3, 4):
        raise BadCallback(f"unknown callback data {data!r}")
    for part in parts[1:]:
        if not _PART.match(part):
            raise BadCallback(f"unsafe callback part {part!r}")
    return Callback(parts[1], parts[2], parts[3] if len(parts) == 4 else "")


def pattern(family: str) -> str:
    """A regex for PTB's CallbackQueryHandler that selects one family."""
    return rf"^{VERSION}:{re.escape(family)}:"


# Families of callback data.
INTAKE = "in"
STEP = "st"
PLANT = "pl"
NATURE = "na"
SPECIAL_REPORT = "sr"
SETTINGS = "se"
MAJOR = "mj"
SUGGESTION = "sg"
MEETING_MINUTES = "mt"
PLAN_FORM = "pf"  # the rectification plan's conversation
MEETING_INVITE = "mi"  # the organiser invites someone else to a special meeting
HAND_OVER = "ho"  # the leading VP hands the plan (step 10) to someone else
EXTENSION = "ex"  # the leading VP (or the GM) decides an extension of a step's limit
SNOOZE = "sz"  # a step's reminders silenced for an hour, or until the next working morning
CAUSES = "ca"  # QC name the cause categories and the responsibility at the appraisal
COST = "co"  # /cost: record one figure of the cost of poor quality
FMEA = "fm"  # the verification: was the FMEA / control plan updated?


class StepAction(StrEnum):
    """What a step button does besides finishing the step with one of its outcomes."""

    FINISH = "finish"  # with an outcome's press code from the step table
    TAKE = "take"
    BLOCK = "block"
    SHOW = "show"
    NATURE = "nature"  # QC change the nature and flags at the appraisal
    MEETING = "meet"  # the leading VP schedules the step's meeting
    PLAN = "plan"  # fill in the rectification plan (step 10), or add an item (step 13)
    EXTEND = "ext"  # ask for more time (the new date and the reason are asked for)
    SNOOZE = "snz"  # silence the step's reminders a while (how long is asked for)
    CARD = "card"  # bring up the step's card (a digest's buttons)
    CAUSES = "cause"  # QC name the cause categories and the responsibility (step 3)
    EIGHT_D_ZH = "8dzh"  # attach the 8D report in Chinese as the solution (step 12)
    EIGHT_D_EN = "8den"  # the same, in English


_FIXED = {a.value for a in StepAction if a is not StepAction.FINISH}


@dataclass(frozen=True)
class StepPress:
    step_id: int
    action: StepAction
    code: str = ""  # the outcome's press code, for FINISH

    def encode(self) -> str:
        return Callback(STEP, self.code or self.action.value, str(self.step_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> StepPress:
        callback = decode(data)
        if callback.family != STEP:
            raise BadCallback(f"not a step button: {data!r}")
        if callback.action in _FIXED:
            return cls(callback.int_arg, StepAction(callback.action))
        return cls(callback.int_arg, StepAction.FINISH, callback.action)


# The responsibility (plant of origin) in a cause pick: one letter each.
PLANT_LETTERS = {"huangwu": "h", "laishan": "l", "contractor": "c", "unknown": "u"}
_PLANT_OF_LETTER = {letter: plant for plant, letter in PLANT_LETTERS.items()}


@dataclass(frozen=True)
class CausePick:
    """The appraisal's cause chooser: categories toggled (a bit mask over the company's
    list) and the responsibility, then Confirm. The choice rides in the data, so the
    keyboard is a pure function of it."""

    step_id: int
    mask: int
    plant: str
    confirm: bool = False

    def encode(self) -> str:
        action = f"{'ok' if self.confirm else 'p'}{self.mask:03x}{PLANT_LETTERS[self.plant]}"
        return Callback(CAUSES, action, str(self.step_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> CausePick:
        callback = decode(data)
        match = re.fullmatch(r"(ok|p)([0-9a-f]{3})([hlcu])", callback.action)
        if callback.family != CAUSES or match is None:
            raise BadCallback(f"not a cause button: {data!r}")
        confirm, mask, letter = match.groups()
        return cls(callback.int_arg, int(mask, 16), _PLANT_OF_LETTER[letter], confirm == "ok")


@dataclass(frozen=True)
class PlantPress:
    """QC name the plant of origin on the step that asks for it."""

    step_id: int
    plant: str

    def encode(self) -> str:
        return Callback(PLANT, self.plant, str(self.step_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> PlantPress:
        callback = decode(data)
        if callback.family != PLANT:
            raise BadCallback(f"not a plant button: {data!r}")
        return cls(callback.int_arg, callback.action)


@dataclass(frozen=True)
class NaturePick:
    """The nature chooser of the appraisal: a grade and the two flags, then Confirm.

    The choice so far rides in the data, so the keyboard is a pure function of it.
    """

    step_id: int
    grade: str
    batch: bool
    recurring: bool
    confirm: bool = False

    def encode(self) -> str:
        choice = f"{self.grade}{int(self.batch)}{int(self.recurring)}"
        return Callback(
            NATURE, ("ok" if self.confirm else "p") + choice, str(self.step_id)
        ).encode()

    @classmethod
    def decode(cls, data: str | None) -> NaturePick:
        callback = decode(data)
        match = re.fullmatch(r"(ok|p)([ABC])([01])([01])", callback.action)
        if callback.family != NATURE or match is None:
            raise BadCallback(f"not a nature button: {data!r}")
        confirm, grade, batch, recurring = match.groups()
        return cls(callback.int_arg, grade, batch == "1", recurring == "1", confirm == "ok")

    @property
    def choice(self) -> str:
        return f"{self.grade}{int(self.batch)}{int(self.recurring)}"


class ReportAction(StrEnum):
    APPROVE = "ok"
    REPLY = "re"


@dataclass(frozen=True)
class ReportPress:
    """The GM's buttons under a special report."""

    report_id: int
    action: ReportAction

    def encode(self) -> str:
        return Callback(SPECIAL_REPORT, self.action.value, str(self.report_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> ReportPress:
        callback = decode(data)
        if callback.family != SPECIAL_REPORT or callback.action not in {
            a.value for a in ReportAction
        }:
            raise BadCallback(f"not a special report button: {data!r}")
        return cls(callback.int_arg, ReportAction(callback.action))


@dataclass(frozen=True)
class ExtensionPress:
    """Approve or Refuse under an extension request."""

    request_id: int
    approve: bool

    def encode(self) -> str:
        return Callback(EXTENSION, "ok" if self.approve else "no", str(self.request_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> ExtensionPress:
        callback = decode(data)
        if callback.family != EXTENSION or callback.action not in ("ok", "no"):
            raise BadCallback(f"not an extension button: {data!r}")
        return cls(callback.int_arg, callback.action == "ok")


@dataclass(frozen=True)
class SnoozePress:
    """How long a step's reminders are silenced: an hour, or until the working morning."""

    step_id: int
    until_morning: bool

    def encode(self) -> str:
        return Callback(SNOOZE, "am" if self.until_morning else "1h", str(self.step_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> SnoozePress:
        callback = decode(data)
        if callback.family != SNOOZE or callback.action not in ("am", "1h"):
            raise BadCallback(f"not a snooze button: {data!r}")
        return cls(callback.int_arg, callback.action == "am")


@dataclass(frozen=True)
class CostPress:
    """/cost: record or correct one figure of a complaint (its reason is asked too)."""

    complaint_id: int
    kind: str

    def encode(self) -> str:
        return Callback(COST, self.kind, str(self.complaint_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> CostPress:
        callback = decode(data)
        if callback.family != COST or callback.action not in {k.value for k in CostKind}:
            raise BadCallback(f"not a cost button: {data!r}")
        return cls(callback.int_arg, callback.action)


@dataclass(frozen=True)
class FmeaPress:
    """After the verification: whether the FMEA / control plan was updated (the 8D's D7)."""

    step_id: int
    updated: bool

    def encode(self) -> str:
        return Callback(FMEA, "y" if self.updated else "n", str(self.step_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> FmeaPress:
        callback = decode(data)
        if callback.family != FMEA or callback.action not in ("y", "n"):
            raise BadCallback(f"not an FMEA button: {data!r}")
        return cls(callback.int_arg, callback.action == "y")


@dataclass(frozen=True)
class NightPingsPress:
    """/settings: pinged at night too (on) or not."""

    on: bool

    def encode(self) -> str:
        return Callback(SETTINGS, "night", "1" if self.on else "0").encode()

    @classmethod
    def decode(cls, data: str | None) -> NightPingsPress:
        callback = decode(data)
        if callback.family != SETTINGS or callback.action != "night" or callback.arg not in "01":
            raise BadCallback(f"not a settings button: {data!r}")
        return cls(callback.arg == "1")


@dataclass(frozen=True)
class MajorPress:
    """Leadership file a complaint as a major problem (重大质量问题备案)."""

    complaint_id: int

    def encode(self) -> str:
        return Callback(MAJOR, "file", str(self.complaint_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> MajorPress:
        callback = decode(data)
        if callback.family != MAJOR or callback.action != "file":
            raise BadCallback(f"not a major-problem button: {data!r}")
        return cls(callback.int_arg)


class SuggestionAction(StrEnum):
    ADOPT = "ad"
    DECLINE = "de"
    BENEFIT = "bn"  # record the realised benefit


@dataclass(frozen=True)
class SuggestionPress:
    """Leadership's buttons under a suggestion."""

    suggestion_id: int
    action: SuggestionAction

    def encode(self) -> str:
        return Callback(SUGGESTION, self.action.value, str(self.suggestion_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> SuggestionPress:
        callback = decode(data)
        known = {a.value for a in SuggestionAction}
        if callback.family != SUGGESTION or callback.action not in known:
            raise BadCallback(f"not a suggestion button: {data!r}")
        return cls(callback.int_arg, SuggestionAction(callback.action))


@dataclass(frozen=True)
class MinutesPress:
    """Under the organiser's confirmation of a meeting: record its minutes."""

    meeting_id: int

    def encode(self) -> str:
        return Callback(MEETING_MINUTES, "min", str(self.meeting_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> MinutesPress:
        callback = decode(data)
        if callback.family != MEETING_MINUTES or callback.action != "min":
            raise BadCallback(f"not a minutes button: {data!r}")
        return cls(callback.int_arg)


@dataclass(frozen=True)
class InvitePress:
    """Under the organiser's confirmation: the people picker (person None), or someone
    picked to invite."""

    meeting_id: int
    person_id: int | None = None

    def encode(self) -> str:
        action = "list" if self.person_id is None else f"p{self.person_id}"
        return Callback(MEETING_INVITE, action, str(self.meeting_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> InvitePress:
        callback = decode(data)
        match = re.fullmatch(r"list|p([0-9]{1,10})", callback.action)
        if callback.family != MEETING_INVITE or match is None:
            raise BadCallback(f"not an invitation button: {data!r}")
        person = parse_id(match.group(1)) if match.group(1) else None
        if match.group(1) and person is None:
            raise BadCallback(f"not a person: {data!r}")
        return cls(callback.int_arg, person)


@dataclass(frozen=True)
class HandPress:
    """On step 10's card: the people picker (person None), or whom the plan is handed to."""

    step_id: int
    person_id: int | None = None

    def encode(self) -> str:
        action = "list" if self.person_id is None else f"p{self.person_id}"
        return Callback(HAND_OVER, action, str(self.step_id)).encode()

    @classmethod
    def decode(cls, data: str | None) -> HandPress:
        callback = decode(data)
        match = re.fullmatch(r"list|p([0-9]{1,10})", callback.action)
        if callback.family != HAND_OVER or match is None:
            raise BadCallback(f"not a hand-over button: {data!r}")
        person = parse_id(match.group(1)) if match.group(1) else None
        if match.group(1) and person is None:
            raise BadCallback(f"not a person: {data!r}")
        return cls(callback.int_arg, person)
