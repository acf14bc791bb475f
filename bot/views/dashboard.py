"""The dashboard's JSON (docs/dashboard.md): the services' view models as plain data,
every label in the reader's language. The page puts each text in the page only as text
(app.js's `text`), never as markup, so a name typed in chat stays a name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.procedure.dashboard import AGE_BANDS
from bot.procedure.grading import Grade, Plant
from bot.procedure.pareto import Bar, Pareto
from bot.procedure.plans import ITEM_QUESTIONS, PLAN_QUESTIONS
from bot.procedure.steps import Owner, StepStatus
from bot.views import labels
from bot.views.charts import cause_name
from bot.views.i18n import N_, gettext_plain
from bot.views.models import ComplaintView, StepView

Json = dict[str, Any]

# The page's own words, sent with the first answer so that the page has no catalogue.
PAGE_TEXTS = {
    "title": N_("Dashboard"),
    "overview": N_("Overview"),
    "pareto": N_("Pareto"),
    "list": N_("Complaints"),
    "open_title": N_("Open complaints"),
    "by_grade": N_("By grade"),
    "by_plant": N_("By plant"),
    "by_age": N_("By days open"),
    "overdue": N_("Steps overdue now"),
    "by_department": N_("By department"),
    "by_person": N_("By person"),
    "on_time": N_("Steps done on time, week by week"),
    "on_time_share": N_("On time %"),
    "late_label": N_("late"),
    "cost": N_("Cost of poor quality by month (yuan)"),
    "recurring": N_("Recurring problems"),
    "majors": N_("Major problems and their plans"),
    "items_accepted": N_("items accepted"),
    "no_plan": N_("none yet"),
    "causes_by_count": N_("Causes by number of complaints"),
    "causes_by_cost": N_("Causes by cost (yuan)"),
    "cumulative": N_("Cumulative %"),
    "period": N_("Period"),
    "period_hint": N_("2026-11, 2026-Q4, 2026, or empty for the last twelve weeks"),
    "search": N_("Search"),
    "customer": N_("Customer"),
    "product": N_("Product"),
    "plant": N_("Plant"),
    "grade": N_("Problem nature"),
    "status": N_("Status"),
    "all": N_("All"),
    "status_open": N_("Still open"),
    "status_closed": N_("Closed"),
    "apply": N_("Apply"),
    "previous": N_("Previous"),
    "next": N_("Next"),
    "page": N_("Page %(page)s of %(pages)s, %(total)s in all."),
    "steps": N_("Steps"),
    "signatures": N_("Signatures"),
    "plan": N_("Rectification plan"),
    "meetings": N_("Meetings"),
    "files": N_("Files"),
    "history": N_("History"),
    "costs": N_("Cost of poor quality"),
    "recheck": N_("Recheck a month on"),
    "eight_d": N_("8D report"),
    "back": N_("Back"),
    "due": N_("due"),
    "done_by": N_("Done by"),
    "none": N_("None."),
    "not_allowed": N_("The overview and the Pareto are for leadership and QC."),
    "not_registered": N_("You are not registered. /help"),
    "not_found": N_("No such complaint for you."),
    "bad_filter": N_("That filter is not understood."),
    "language": N_("English"),
    "fill_plan": N_("Fill in the plan"),
    "save_draft": N_("Keep the draft"),
    "issue_plan": N_("Issue the plan"),
    "add_item": N_("Add another item"),
    "remove_item": N_("Remove the last item"),
    "item": N_("Item %(n)d"),
    "draft_kept": N_("The draft is kept; the chat goes on from it too."),
    "plan_issued": N_("The plan is issued: every item's owner has their task."),
    "fix_fields": N_("Some answers need another look; each says why."),
    "not_kept": N_("Kesu has no copy of this file (yet)."),
}


def _t(language: str, message: str) -> str:
    return gettext_plain(language, message)


def _when(moment: datetime | None, tz: str) -> str | None:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if moment else None


def page_texts(language: str) -> dict[str, str]:
    return {key: _t(language, message) for key, message in PAGE_TEXTS.items()}


def _counts(counter: Counter[str], names: Iterable[tuple[str, str]], language: str) -> list[Json]:
    return [{"key": k, "label": _t(language, label), "n": counter[k]} for k, label in names]


def overview(found: Any, language: str, tz: str) -> Json:
    """The overview: the services' `Overview`, labelled."""
    grades = [(g.value, f"{g.value} {_t(language, labels.GRADES[g])}") for g in Grade]
    short = lambda p: labels.PLANT_SHORT.get(p, labels.PLANTS[p])  # noqa: E731
    plants = [(p.value, short(p)) for p in Plant if found.open_by["plant"][p.value]]
    ages = [(name, name) for name, _most in AGE_BANDS]
    departments = found.overdue_by_department.most_common()
    return {
        "at": _when(found.at, tz),
        "open_complaints": {
            "total": found.open_total,
            "grade": [
                {"key": k, "label": label, "n": found.open_by["grade"][k]} for k, label in grades
            ],
            "plant": _counts(found.open_by["plant"], plants, language),
            "age": [{"key": k, "label": k, "n": found.open_by["age"][k]} for k, _ in ages],
        },
        "overdue": {
            "total": found.overdue_total,
            "departments": [
                {"label": _t(language, labels.OWNERS[Owner(k)]), "n": n} for k, n in departments
            ],
            "people": [{"label": k, "n": n} for k, n in found.overdue_by_person.most_common(10)],
        },
        "on_time": {
            "weeks": [w.week for w in found.on_time],
            "on_time": [w.on_time for w in found.on_time],
            "late_steps": [w.late for w in found.on_time],
            "share": [w.share for w in found.on_time],
        },
        "cost": {
            "months": [m for m, _ in found.cost_by_month],
            "yuan": [float(v) for _, v in found.cost_by_month],
        },
        "recurring": {
            "total": found.recurring_total,
            "rows": [_row(c, language, tz) for c in found.recurring],
        },
        "majors": {
            "total": found.majors_total,
            "rows": [
                {
                    "number": m.number,
                    "plan": _t(language, labels.STEP_STATUSES[StepStatus(m.plan_status)])
                    if m.plan_status
                    else None,
                    "items": m.items,
                    "items_accepted": m.accepted,
                }
                for m in found.majors
            ],
        },
    }


def _bars(bars: Iterable[Bar], names: Mapping[str, str], language: str) -> list[Json]:
    return [
        {
            "key": b.key,
            "label": cause_name(b.key, names, language),
            "value": float(b.value),
            "cumulative": float(b.cumulative),
        }
        for b in bars
    ]


def pareto(found: Pareto, names: Mapping[str, str], language: str) -> Json:
    return {
        "period": found.period.name,
        "complaints": found.complaints,
        "total_cost": float(found.total_cost),
        "by_count": _bars(found.by_count, names, language),
        "by_cost": _bars(found.by_cost, names, language),
    }


def _row(c: ComplaintView, language: str, tz: str) -> Json:
    return {
        "number": c.number,
        "received": _when(c.received_at, tz),
        "customer": c.customer_name,
        "product": f"{c.product_name} {c.specification}",
        "grade": c.grade.value,
        "grade_label": f"{c.grade.value} {_t(language, labels.GRADES[c.grade])}",
        "plant": _t(language, labels.PLANTS[c.plant]),
        "status": _t(language, labels.STATUSES[c.status]),
        "is_open": c.closed_at is None,
        "recurring": c.is_recurring,
    }


def listing(
    rows: Iterable[ComplaintView], total: int, page: int, pages: int, language: str, tz: str
) -> Json:
    return {
        "total": total,
        "page": page,
        "pages": pages,
        "rows": [_row(c, language, tz) for c in rows],
    }


def _step(s: StepView, language: str, tz: str, now: datetime) -> Json:
    """A step with its limit, and whether it was done late or is overdue now."""
    late = bool(
        s.due_at and ((s.done_at and s.done_at > s.due_at) or (s.is_open and now > s.due_at))
    )
    record = s.outcome_record
    return {
        "title": f"{s.number} {_t(language, s.title)}",
        "owner": _t(language, labels.OWNERS[s.owner]),
        "assignee": s.assignee,
        "status": _t(language, labels.STEP_STATUSES[s.status]),
        "is_open": s.is_open,
        "due": _when(s.due_at, tz),
        "done_at": _when(s.done_at, tz),
        "done_by": s.done_by,
        "outcome": _t(language, record) if record else None,
        "is_late": late,
        "extension_to": _when(s.extension_to, tz),
        "note": s.note,
    }


def timeline(shown: Any, language: str, tz: str, now: datetime) -> Json:
    """One complaint: the card's fields, its steps with their limits, whether each was
    late (or is overdue now), signatures, costs, the plan, meetings, files, history."""
    c: ComplaintView = shown.complaint
    plan = shown.plan
    return {
        **_row(c, language, tz),
        "content": c.content,
        "description": c.description,
        "quantity": f"{c.quantity.normalize():f} {c.quantity_unit}",
        "filed_by": c.filed_by,
        "causes": [cause.name(language) for cause in c.causes],
        "recheck": {
            "state": _t(language, labels.RECHECK_STATES[c.recheck.state]),
            "at": _when(c.recheck.at, tz),
        }
        if c.recheck
        else None,
        "steps": [_step(s, language, tz, now) for s in c.steps],
        "signatures": [
            {
                "meaning": _t(language, labels.MEANINGS[g.meaning]),
                "by": g.by,
                "at": _when(g.at, tz),
                "what": _t(language, g.step_title) if g.step_title else None,
                "item": g.item,
            }
            for g in c.signatures
        ],
        "costs": [
            {
                "kind": _t(language, labels.COSTS[line.kind]),
                "amount": f"{line.amount.normalize():f} {line.unit}",
            }
            for line in c.costs
        ],
        "cost_total": float(c.cost_total),
        "plan": {
            "owner": plan.owner,
            "deadline": plan.deadline.isoformat(),
            "items_accepted": plan.accepted,
            "items": [
                {
                    "number": i.number,
                    "action": i.action,
                    "requirement": i.requirement,
                    "owner": i.owner,
                    "acceptor": i.acceptor,
                    "due": _when(i.due_at, tz),
                    "status": _t(language, labels.ITEM_STATUSES[i.status]),
                    "times_sent_back": i.times_sent_back,
                }
                for i in plan.items
            ],
        }
        if plan
        else None,
        "meetings": [
            {"at": _when(m.at, tz), "place": m.place, "minutes": m.minutes} for m in shown.meetings
        ],
        "files": [
            {
                "name": a.file_name or _t(language, labels.FILE_KINDS[a.kind]),
                "kind": a.kind.value,
                "step": _t(language, a.step_title) if a.step_title else None,
                "id": a.file_id,
            }
            for a in (*c.attachments, *c.step_files)
        ],
        "history": [
            {
                "at": _when(e.at, tz),
                "who": e.actor or _t(language, N_("system")),
                "what": _t(language, labels.EVENTS.get(e.action, e.action)),
                "step": _t(language, e.step_title) if e.step_title else None,
            }
            for e in shown.events
        ],
    }


def plan_form(form: Any, language: str) -> Json:
    """The plan's form: the draft as it stands (the chat's, if begun there), whom it may
    name, the departments; the labels are the paper form's own headings."""
    draft = form.draft
    return {
        "number": draft.number,
        "problem": draft.problem if draft.problem is not None else draft.problem_offer,
        "causes": draft.causes if draft.causes is not None else draft.causes_offer,
        "owner_id": draft.owner_id if draft.owner_id is not None else form.me,
        "deadline": draft.deadline.isoformat() if draft.deadline else None,
        "departments": [d.value for d in draft.departments or draft.departments_pending],
        "items": [
            {
                "action": i.action,
                "requirement": i.requirement,
                "owner_id": i.owner_id,
                "due": i.due.isoformat() if i.due else None,
                "acceptor_id": i.acceptor_id,
            }
            for i in draft.items
        ],
        "people": [
            {"id": p.id, "name": p.name, "role": _t(language, labels.ROLES[p.role])}
            for p in form.people
        ],
        "department_choices": [
            {"key": d.value, "label": _t(language, label)}
            for d, label in labels.DEPARTMENTS.items()
        ],
        "labels": {q.key: _t(language, q.label) for q in (*PLAN_QUESTIONS, *ITEM_QUESTIONS)},
    }


def form_errors(errors: Mapping[str, Any], language: str) -> dict[str, str]:
    """Each field's one-line reason, in the reader's language."""
    return {
        where: gettext_plain(language, error.reason, **error.params)
        for where, error in errors.items()
    }
