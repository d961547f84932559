"""The timeline at /timeline/: the listed entries per day, week or month as SVG bar charts drawn here,
with the same numbers in a table, and small multiples per region and sector."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from ..citation import MONTHS, _long_date
from ..routes import Route, Target
from ..schema import clean_text
from ..site import Site


@dataclass(frozen=True, eq=False)
class TimelinePage(Target):
    pass


TARGETS = (TimelinePage,)


def routes(site: Site) -> list[Route]:
    return [Route("timeline/index.html", "the timeline (/timeline/)", TimelinePage())]


def inputs(ctx, route: Route) -> None:
    return None


def render(ctx, route: Route) -> bytes:
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
        return _long_date(start)
    if unit == "week":
        return f"Week of {_long_date(start)}"
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
    room = 44.0
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


def _svg(value: str) -> Markup:
    """Text or an attribute value in the SVG: escaped for HTML and XML alike, characters XML cannot hold removed."""
    return escape(clean_text(value))


def chart_svg(views, items: list[Period], unit: str, title: str, desc: str, ident: str) -> Markup:
    """The main chart: a bar per period, each linked to its archive month, with axes and a title per bar."""
    width, height = 672, 280
    left, right, top, bottom = 48, 12, 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((p.count for p in items), default=0)
    ceiling, step = _nice_top(peak)
    n = max(len(items), 1)
    slot = plot_w / n
    bar = min(48.0, slot * 0.8) if slot >= 4 else max(slot - 0.5, 0.5)
    # Hidden from assistive technology, whose users get the table of the same numbers: a role="img" may not
    # hold links. The bars' links are for the mouse; the keyboard has the same links in the table.
    out = [f'<svg class="chart" id="{_svg(ident)}" aria-hidden="true" focusable="false" viewBox="0 0 {width} {height}" '
           f'width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
           f'<title>{_svg(title)}</title>', f'<desc>{_svg(desc)}</desc>']
    out.append('<g class="chart-grid">')
    for value in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * value / ceiling
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}" stroke="currentColor" '
                   f'stroke-opacity="0.25" stroke-width="1"/>')
        out.append(f'<text class="chart-label" x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" font-size="12" '
                   f'fill="currentColor">{value:,}</text>')
    out.append('</g>')
    labels = _tick_labels(items, unit, slot)
    show_values = len(items) <= 31
    out.append('<g class="chart-bars">')
    for i, p in enumerate(items):
        x = left + slot * i + (slot - bar) / 2
        if p.count:
            h = max(plot_h * p.count / ceiling, 1.0)
            y = top + plot_h - h
            tip = f"{period_label(p.start, unit)}: {_entries_text(p.count)}"
            rect = (f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(bar)}" height="{_num(h)}" '
                    f'fill="currentColor"><title>{_svg(tip)}</title></rect>')
            href = views.url(f"archive/{p.link[0]}/{p.link[1]:02d}/")
            out.append(f'<a href="{_svg(href)}" tabindex="-1">{rect}</a>')
            if show_values:
                out.append(f'<text class="chart-value" x="{_num(x + bar / 2)}" y="{_num(y - 5)}" '
                           f'text-anchor="middle" font-size="12" fill="currentColor">{p.count:,}</text>')
    out.append('</g>')
    out.append(f'<line class="chart-axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
               f'stroke="currentColor" stroke-width="1"/>')
    out.append('<g class="chart-ticks">')
    for i in sorted(labels):
        cx = left + slot * i + slot / 2
        out.append(f'<line x1="{_num(cx)}" x2="{_num(cx)}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
                   f'stroke="currentColor" stroke-width="1"/>')
        text, year = labels[i]
        out.append(f'<text class="chart-label" x="{_num(cx)}" y="{top + plot_h + 18}" text-anchor="middle" '
                   f'font-size="12" fill="currentColor">{_svg(text)}</text>')
        if year:
            out.append(f'<text class="chart-label" x="{_num(cx)}" y="{top + plot_h + 33}" text-anchor="middle" '
                       f'font-size="12" fill="currentColor">{_svg(year)}</text>')
    out.append('</g></svg>')
    return Markup("".join(out))


def small_svg(items: list[Period], unit: str, ceiling: int, title: str, desc: str, ident: str) -> Markup:
    """One small multiple: the same periods as the main chart, on a scale shared by its taxonomy."""
    width, height, top = 240, 56, 4
    plot_h = height - top - 1
    n = max(len(items), 1)
    slot = width / n
    bar = min(16.0, slot * 0.8) if slot >= 3 else max(slot - 0.25, 0.4)
    ident = _svg(ident)
    out = [f'<svg class="chart chart-small" role="img" aria-labelledby="{ident}-title {ident}-desc" '
           f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{ident}-title">{_svg(title)}</title>', f'<desc id="{ident}-desc">{_svg(desc)}</desc>']
    for i, p in enumerate(items):
        if not p.count:
            continue
        h = max(plot_h * p.count / max(ceiling, 1), 1.0)
        x = slot * i + (slot - bar) / 2
        tip = f"{period_label(p.start, unit)}: {_entries_text(p.count)}"
        out.append(f'<rect class="bar" x="{_num(x)}" y="{_num(top + plot_h - h)}" width="{_num(bar)}" '
                   f'height="{_num(h)}" fill="currentColor"><title>{_svg(tip)}</title></rect>')
    out.append(f'<line class="chart-axis" x1="0" x2="{width}" y1="{height - 0.5}" y2="{height - 0.5}" '
               f'stroke="currentColor" stroke-width="1"/></svg>')
    return Markup("".join(out))


def _busiest(items: list[Period], unit: str) -> str:
    if not items:
        return ""
    top = max(items, key=lambda p: p.count)  # the first of equals: the earliest
    return f"busiest {UNIT_NOUN[unit]}: {period_label(top.start, unit)}, with {_entries_text(top.count)}"


def timeline(views) -> dict:
    """Everything timeline.html shows: the chart, its table and the small multiples."""
    site = views.site
    listed = site.listed  # as the archive pages count them (drafts too, in a --drafts preview)
    if not listed:
        return {"empty": True}
    days = [e.meta.date.at.date() for e in listed]
    first, last = min(days), max(days)
    unit = period_unit(first, last)
    items = periods(days, unit, first, last)
    noun = UNIT_NOUN[unit]
    span = f"{period_label(items[0].start, unit)} to {period_label(items[-1].start, unit)}" if len(items) > 1 \
        else period_label(items[0].start, unit)
    title = f"Entries per {noun}, {span}" if len(items) > 1 else f"Entries, {span}"
    summary = f"{_entries_text(len(listed))} from {_long_date(first)} to {_long_date(last)}; {_busiest(items, unit)}."
    chart = chart_svg(views, items, unit, title, summary, "timeline-chart")
    rows = [{"label": period_label(p.start, unit), "count": p.count,
             "url": views.url(f"archive/{p.link[0]}/{p.link[1]:02d}/") if p.link else ""} for p in items]
    groups = []
    for taxonomy in ("regions", "sectors"):
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
            multiples.append({
                "title": term.title, "lang": term.lang, "url": views.url(term.path), "count": len(term.entries),
                "count_text": _entries_text(len(term.entries)),
                "svg": small_svg(ps, unit, ceiling, term_title, desc, ident),
                "feeds": views.feed_links(term.path),
                "rows": [{"label": period_label(p.start, unit), "count": p.count} for p in ps if p.count],
            })
        groups.append({"name": taxonomy, "title": label, "ceiling": ceiling, "multiples": multiples,
                       "scale": f"Every chart here has the same scale: the tallest bar possible is "
                                f"{_entries_text(ceiling)} in a {noun}."})
    return {"empty": False, "unit": noun, "title": title, "summary": summary[0].upper() + summary[1:],
            "chart": chart, "rows": rows, "groups": groups, "period_header": noun.capitalize()}


def _timeline_page(ctx) -> bytes:
    views = ctx.views
    return ctx.page("timeline.html", "timeline/", "Timeline",
                    description="The campaign over time: entries per day, week or month, by region and by sector.",
                    timeline=timeline(views), archive_url=views.url("archive/"), data_url=views.url("data/"))

