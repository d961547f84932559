"""The timeline at /timeline/: the listed entries per day, week or month as SVG bar charts, with the same
numbers in a table, and small multiples per region and sector. Their geometry is computed here; the templates
_chart.svg and _small_chart.svg draw it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from ..citation import MONTHS, long_date
from ..outputmodels import Multiple, MultiplesGroup, PeriodRow, Timeline
from ..routes import Route, Target
from ..schema import clean_text
from ..site import Site
from ..kinds import CLOSED_TAXONOMIES


@dataclass(frozen=True, eq=False)
class TimelinePage(Target):
    pass


TARGETS = (TimelinePage,)


def routes(site: Site) -> list[Route]:
    return [Route("timeline/index.html", "the timeline (/timeline/)", TimelinePage())]


def render(ctx, route: Route) -> bytes:
    ctx.record("dates")  # made from every entry's dates and terms, not from its text
    return _timeline_page(ctx)



DAYS_LIMIT = 60
"""A span of up to 60 days is counted per day..."""
WEEKS_LIMIT = 731
"""...up to two years per week (Monday to Sunday), and anything longer per month."""
UNIT_NOUN = {"day": "day", "week": "week", "month": "month"}


@dataclass(frozen=True)
class Period:
    start: date
    count: int
    link: tuple[int, int] | None
    """The archive month page a bar leads to (there are no day or week pages); None when empty."""


def period_unit(first: date, last: date) -> str:
    span = (last - first).days
    if span <= DAYS_LIMIT:
        return "day"
    if span <= WEEKS_LIMIT:
        return "week"
    return "month"


def _period_start(day: date, unit: str) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(start: date, unit: str) -> date:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def periods(days: list[date], unit: str, first: date, last: date) -> list[Period]:
    """Every period from the first to the last (empty ones too), with its count and archive month."""
    counts: dict[date, int] = {}
    oldest: dict[date, date] = {}
    for day in days:
        start = _period_start(day, unit)
        counts[start] = counts.get(start, 0) + 1
        if start not in oldest or day < oldest[start]:
            oldest[start] = day
    found = []
    start, end = _period_start(first, unit), _period_start(last, unit)
    while start <= end:
        n = counts.get(start, 0)
        link = (oldest[start].year, oldest[start].month) if n else None
        found.append(Period(start, n, link))
        start = _next(start, unit)
    return found


def period_label(start: date, unit: str) -> str:
    if unit == "day":
        return long_date(start)
    if unit == "week":
        return f"Week of {long_date(start)}"
    return f"{MONTHS[start.month - 1]} {start.year}"


def _entries_text(n: int) -> str:
    return f"{n:,} {'entry' if n == 1 else 'entries'}"


def _nice_top(value: int) -> tuple[int, int]:
    """A round top for the y axis and its step: about four gridlines."""
    if value <= 4:
        return max(value, 1), 1
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def _num(value: float) -> str:
    """SVG coordinates with two decimals at most: compact and byte-identical."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _tick_labels(items: list[Period], unit: str, slot: float) -> dict[int, tuple[str, str]]:
    """Which bars get an axis label: (label, year shown under it), spaced so that labels never overlap."""
    room = 80.0  # of the chart's 672 units: 40px where a phone draws it 340px wide, its labels still 12px
    labels: dict[int, tuple[str, str]] = {}
    if unit == "day":
        every_day = slot >= room
        for i, p in enumerate(items):
            if every_day or p.start.weekday() == 0:
                labels[i] = (f"{p.start.day} {MONTHS[p.start.month - 1][:3]}", "")
    else:
        per_month = slot * (4.35 if unit == "week" else 1)
        step = next((s for s in (1, 3, 6, 12, 24, 60) if per_month * s >= room), 120)
        for i, p in enumerate(items):
            first_of_month = i == 0 or p.start.month != items[i - 1].start.month
            if first_of_month and (p.start.year * 12 + p.start.month - 1) % step == 0:
                labels[i] = (MONTHS[p.start.month - 1][:3] if step < 12 else str(p.start.year), "")
    year = None
    for i in sorted(labels):
        y = items[i].start.year
        if y != year and not labels[i][0].isdigit():
            labels[i] = (labels[i][0], str(y))
        year = y
    return labels


@dataclass(frozen=True)
class Gridline:
    """A horizontal line of the main chart's grid, with its value at the left."""

    y: str
    label_y: str
    value: str
    """The number of entries it marks, e.g. 1,000."""


@dataclass(frozen=True)
class Bar:
    """One period's bar (periods without entries have none)."""

    x: str
    y: str
    width: str
    height: str
    tip: str
    """E.g. October 2017: 12 entries."""
    href: str = ""
    """The archive month it leads to; empty in small multiples."""
    value: str = ""
    """Its count, written above it when the main chart has at most 31 bars; else empty."""
    value_x: str = ""
    value_y: str = ""


@dataclass(frozen=True)
class Tick:
    """A mark under the main chart's axis: its label and, at the first label of a year, the year."""

    x: str
    label: str
    year: str


@dataclass(frozen=True)
class Chart:
    """What _chart.svg draws: the main chart, a bar per period linked to its archive month, with axes.

    Numbers are strings with at most two decimals, texts have the characters XML cannot hold removed: the
    template only writes them (escaped, as every value).
    """

    ident: str
    title: str
    desc: str
    width: str
    height: str
    left: str
    """Where the plot starts: the x of the gridlines' and the axis's left end."""
    right: str
    """Their right end."""
    label_x: str
    """The right edge of the gridlines' values."""
    baseline: str
    """The y of the axis, where bars stand and ticks start."""
    tick_end: str
    label_y: str
    year_y: str
    gridlines: tuple[Gridline, ...]
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


@dataclass(frozen=True)
class SmallChart:
    """What _small_chart.svg draws: one small multiple, on a scale shared by its taxonomy, without axes."""

    ident: str
    title: str
    desc: str
    width: str
    height: str
    baseline: str
    """The y of the axis line."""
    bars: tuple[Bar, ...]


def chart_view(views, items: list[Period], unit: str, title: str, desc: str, ident: str) -> Chart:
    """The main chart's geometry: a bar per period, each linked to its archive month, gridlines and ticks."""
    width, height = 672, 280
    left, right, top, bottom = 48, 12, 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((p.count for p in items), default=0)
    ceiling, step = _nice_top(peak)
    n = max(len(items), 1)
    slot = plot_w / n
    bar = min(48.0, slot * 0.8) if slot >= 4 else max(slot - 0.5, 0.5)
    gridlines = []
    for value in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * value / ceiling
        gridlines.append(Gridline(_num(y), _num(y + 4), f"{value:,}"))
    show_values = len(items) <= 31
    bars = []
    for i, p in enumerate(items):
        if not p.count:
            continue
        x = left + slot * i + (slot - bar) / 2
        h = max(plot_h * p.count / ceiling, 1.0)
        y = top + plot_h - h
        href = clean_text(views.url(f"archive/{p.link[0]}/{p.link[1]:02d}/"))
        value = (f"{p.count:,}", _num(x + bar / 2), _num(y - 5)) if show_values else ("", "", "")
        bars.append(Bar(_num(x), _num(y), _num(bar), _num(h), _tip(p, unit), href, *value))
    labels = _tick_labels(items, unit, slot)
    ticks = [Tick(_num(left + slot * i + slot / 2), clean_text(labels[i][0]), clean_text(labels[i][1]))
             for i in sorted(labels)]
    baseline = top + plot_h
    return Chart(ident=clean_text(ident), title=clean_text(title), desc=clean_text(desc), width=_num(width),
                 height=_num(height), left=_num(left), right=_num(width - right), label_x=_num(left - 6),
                 baseline=_num(baseline), tick_end=_num(baseline + 4), label_y=_num(baseline + 18),
                 year_y=_num(baseline + 33), gridlines=tuple(gridlines), bars=tuple(bars), ticks=tuple(ticks))


def small_chart_view(items: list[Period], unit: str, ceiling: int, title: str, desc: str, ident: str) -> SmallChart:
    """One small multiple's geometry: the same periods as the main chart, on a scale shared by its taxonomy."""
    width, height, top = 240, 56, 4
    plot_h = height - top - 1
    n = max(len(items), 1)
    slot = width / n
    bar = min(16.0, slot * 0.8) if slot >= 3 else max(slot - 0.25, 0.4)
    bars = []
    for i, p in enumerate(items):
        if not p.count:
            continue
        h = max(plot_h * p.count / max(ceiling, 1), 1.0)
        x = slot * i + (slot - bar) / 2
        bars.append(Bar(_num(x), _num(top + plot_h - h), _num(bar), _num(h), _tip(p, unit)))
    return SmallChart(ident=clean_text(ident), title=clean_text(title), desc=clean_text(desc), width=_num(width),
                      height=_num(height), baseline=_num(height - 0.5), bars=tuple(bars))


def _tip(period: Period, unit: str) -> str:
    return clean_text(f"{period_label(period.start, unit)}: {_entries_text(period.count)}")


def _svg(ctx, template: str, chart: Chart | SmallChart) -> Markup:
    """A chart drawn by its template, to be written into timeline.html as it is: the template escaped every value."""
    return Markup(ctx.template(template, chart=chart).decode("utf-8"))


def _busiest(items: list[Period], unit: str) -> str:
    if not items:
        return ""
    top = max(items, key=lambda p: p.count)  # the first of equals: the earliest
    return f"busiest {UNIT_NOUN[unit]}: {period_label(top.start, unit)}, with {_entries_text(top.count)}"


def timeline(ctx) -> Timeline:
    """Everything timeline.html shows: the chart, its table and the small multiples."""
    views = ctx.views
    site = views.site
    listed = site.listed  # as the archive pages count them (drafts too, in a --drafts preview)
    if not listed:
        return Timeline(empty=True)
    days = [e.meta.date.at.date() for e in listed]
    first, last = min(days), max(days)
    unit = period_unit(first, last)
    items = periods(days, unit, first, last)
    noun = UNIT_NOUN[unit]
    span = f"{period_label(items[0].start, unit)} to {period_label(items[-1].start, unit)}" if len(items) > 1 \
        else period_label(items[0].start, unit)
    title = f"Entries per {noun}, {span}" if len(items) > 1 else f"Entries, {span}"
    summary = f"{_entries_text(len(listed))} from {long_date(first)} to {long_date(last)}; {_busiest(items, unit)}."
    chart = _svg(ctx, "_chart.svg", chart_view(views, items, unit, title, summary, "timeline-chart"))
    rows = [PeriodRow(period_label(p.start, unit), p.count,
                      views.url(f"archive/{p.link[0]}/{p.link[1]:02d}/") if p.link else "") for p in items]
    groups = []
    for taxonomy in CLOSED_TAXONOMIES:
        terms = site.terms.get(taxonomy, [])
        if not terms:
            continue
        per_term = [(t, periods([e.meta.date.at.date() for e in t.entries], unit, first, last)) for t in terms]
        ceiling = max(p.count for _, ps in per_term for p in ps)
        label = getattr(site.config.taxonomies, taxonomy).title
        multiples = []
        for term, ps in per_term:
            ident = f"{taxonomy}-{term.key}"
            term_title = f"{term.title}: entries per {noun}"
            desc = f"{_entries_text(len(term.entries))}; {_busiest(ps, unit)}."
            multiples.append(Multiple(
                title=term.title, lang=term.lang, url=views.url(term.path), count=len(term.entries),
                count_text=_entries_text(len(term.entries)),
                svg=_svg(ctx, "_small_chart.svg", small_chart_view(ps, unit, ceiling, term_title, desc, ident)),
                feeds=views.feed_links(term.path),
                rows=[PeriodRow(period_label(p.start, unit), p.count) for p in ps if p.count],
            ))
        groups.append(MultiplesGroup(name=taxonomy, title=label, ceiling=ceiling, multiples=multiples,
                                     scale=f"Every chart here has the same scale: the tallest bar possible is "
                                           f"{_entries_text(ceiling)} in a {noun}."))
    return Timeline(empty=False, unit=noun, title=title, summary=summary[0].upper() + summary[1:], chart=chart,
                    rows=rows, groups=groups, period_header=noun.capitalize())


def _timeline_page(ctx) -> bytes:
    views = ctx.views
    return ctx.page("timeline.html", "timeline/", "Timeline",
                    description="The campaign over time: entries per day, week or month, by region and by sector.",
                    timeline=timeline(ctx), archive_url=views.url("archive/"), data_url=views.url("data/"))

