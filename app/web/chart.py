"""Leaks per day as bar geometry for a small server-side SVG (no script, no CDN, no inline CSS)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

DAYS = 30
WIDTH, HEIGHT = 600, 120
GAP = 2


@dataclass(frozen=True)
class Bar:
    day: dt.date
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def title(self) -> str:
        return f"{self.day.isoformat()}: {self.count} leak{'' if self.count == 1 else 's'}"


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    peak: int

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)

    @property
    def label(self) -> str:
        first, last = self.bars[0].day, self.bars[-1].day
        return (
            f"Leaks per day from {first} to {last}: {self.total} in all, at most {self.peak} a day"
        )


def daily_counts(
    moments: Iterable[dt.datetime], today: dt.date, days: int = DAYS
) -> list[tuple[dt.date, int]]:
    """(day, count) for each of the `days` days ending `today` (UTC), oldest first, zeros kept."""
    per_day = Counter(moment.astimezone(dt.UTC).date() for moment in moments)
    first = today - dt.timedelta(days=days - 1)
    return [
        (first + dt.timedelta(days=i), per_day[first + dt.timedelta(days=i)]) for i in range(days)
    ]


def leak_chart(
    moments: Iterable[dt.datetime],
    today: dt.date,
    days: int = DAYS,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """Bars scaled so the busiest day fills the height; an empty month draws no bar height."""
    counts = daily_counts(moments, today, days)
    peak = max((count for _, count in counts), default=0)
    slot = width / days
    bars = [_bar(i, day, count, peak, slot, height) for i, (day, count) in enumerate(counts)]
    return Chart(bars, width, height, peak)


def _bar(index: int, day: dt.date, count: int, peak: int, slot: float, height: int) -> Bar:
    bar_height = round(height * count / peak, 2) if peak else 0.0
    return Bar(
        day=day,
        count=count,
        x=round(index * slot + GAP / 2, 2),
        y=round(height - bar_height, 2),
        width=round(max(slot - GAP, 1), 2),
        height=bar_height,
    )
