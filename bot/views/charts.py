"""The weekly summary's chart as a PNG (matplotlib, no pyplot state): complaints per week
by grade over the last twelve weeks, and this week's late steps by department. Its
labels use the CJK font the set-up installs (bot.views.fonts), so Chinese is drawn as
Chinese on any machine, not as boxes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.procedure.pareto import Pareto
from bot.procedure.steps import Owner
from bot.views import labels
from bot.views.fonts import CjkFont
from bot.views.i18n import N_, gettext

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties

# matplotlib is imported where a chart is drawn, not at start-up: it costs the bot half a
# second and tens of megabytes it needs once a week.

GRADE_COLOURS = {"A": "#c0392b", "B": "#e67e22", "C": "#95a5a6"}
WEEKS_TITLE = N_("Complaints per week by grade")
LATE_TITLE = N_("Late steps this week by department")


def chart_texts(
    weeks: Sequence[tuple[str, Mapping[str, int]]],
    late_by_department: Mapping[str, int],
    language: str,
) -> list[str]:
    """Every text the chart draws (a test checks the font has a glyph for each)."""
    t = lambda message: gettext(language, message)  # noqa: E731
    texts = [t(WEEKS_TITLE), t(LATE_TITLE), gettext(language, "None."), *"ABC"]
    texts += [week[-3:] for week, _ in weeks]
    texts += [_department(d, language) for d in late_by_department]
    return texts


def _department(value: str, language: str) -> str:
    owner = next((o for o in Owner if o.value == value), None)
    return gettext(language, labels.OWNERS[owner]) if owner else value


def font_properties(font: CjkFont) -> FontProperties:
    """The Simplified Chinese face of the collection, not its first (Japanese) one: the
    same characters in the shapes Chinese readers expect."""
    from matplotlib.font_manager import FontPath, FontProperties

    return FontProperties(fname=FontPath(font.path, font.index))


def weekly_chart(
    weeks: Sequence[tuple[str, Mapping[str, int]]],
    late_by_department: Mapping[str, int],
    language: str,
    font: CjkFont,
) -> bytes:
    """Stacked bars of complaints by grade per week (oldest first), and horizontal bars
    of late steps by department."""
    t = lambda message: gettext(language, message)  # noqa: E731
    prop = font_properties(font)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=(3, 2))
    names = [week[-3:] for week, _ in weeks]  # "W47"
    bottom = [0] * len(weeks)
    for grade, colour in GRADE_COLOURS.items():
        heights = [counts.get(grade, 0) for _, counts in weeks]
        left.bar(names, heights, bottom=bottom, color=colour, label=grade)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    left.set_title(t(WEEKS_TITLE), fontproperties=prop)
    left.legend(prop=prop)
    left.yaxis.get_major_locator().set_params(integer=True)
    left.tick_params(axis="x", labelrotation=45)
    late = sorted(late_by_department.items(), key=lambda kv: kv[1])
    if late:
        right.barh(
            [_department(d, language) for d, _ in late],
            [n for _, n in late],
            color="#c0392b",
        )
        right.xaxis.get_major_locator().set_params(integer=True)
    else:
        right.text(0.5, 0.5, gettext(language, "None."), ha="center", fontproperties=prop)
        right.set_axis_off()
    right.set_title(t(LATE_TITLE), fontproperties=prop)
    for label in (*left.get_xticklabels(), *right.get_yticklabels()):
        label.set_fontproperties(prop)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


PARETO_COUNT_TITLE = N_("Causes by number of complaints")
PARETO_COST_TITLE = N_("Causes by cost (yuan)")
CUMULATIVE = N_("Cumulative %")


def cause_name(key: str, names: Mapping[str, str], language: str) -> str:
    """A cause category's name in the reader's language; the uncategorised bar's label."""
    return names.get(key, key) if key else gettext(language, "not categorised")


def pareto_texts(found: Pareto, names: Mapping[str, str], language: str) -> list[str]:
    """Every text the Pareto chart draws (a test checks the font has a glyph for each)."""
    t = lambda message: gettext(language, message)  # noqa: E731
    keys = {b.key for b in (*found.by_count, *found.by_cost)}
    return [
        t(PARETO_COUNT_TITLE),
        t(PARETO_COST_TITLE),
        t(CUMULATIVE),
        t("None."),
        found.period.name,
        *(cause_name(k, names, language) for k in keys),
    ]


def pareto_chart(found: Pareto, names: Mapping[str, str], language: str, font: CjkFont) -> bytes:
    """Two Paretos side by side: causes by count and by cost, bars from the largest
    down with the cumulative share as a line on its own axis (0-100 %)."""
    t = lambda message: gettext(language, message)  # noqa: E731
    prop = font_properties(font)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(found.period.name, fontproperties=prop)
    panels = figure.subplots(1, 2)
    for axes, bars, title, colour in (
        (panels[0], found.by_count, PARETO_COUNT_TITLE, "#2c7fb8"),
        (panels[1], found.by_cost, PARETO_COST_TITLE, "#c0392b"),
    ):
        axes.set_title(t(title), fontproperties=prop)
        if not bars:
            axes.text(0.5, 0.5, t("None."), ha="center", fontproperties=prop)
            axes.set_axis_off()
            continue
        labels_ = [cause_name(b.key, names, language) for b in bars]
        axes.bar(labels_, [float(b.value) for b in bars], color=colour)
        line = axes.twinx()
        line.plot(labels_, [float(b.cumulative) for b in bars], color="#333333", marker="o")
        line.set_ylim(0, 105)
        line.set_ylabel(t(CUMULATIVE), fontproperties=prop)
        for label in axes.get_xticklabels():
            label.set_fontproperties(prop)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
