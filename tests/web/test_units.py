"""The small pure modules: safe `next`, commit links, chart geometry."""

from __future__ import annotations

import datetime as dt

import pytest

from app.web.chart import daily_counts, leak_chart
from app.web.redirects import safe_next

SHA = "a" * 40
TODAY = dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/leaks", "/leaks"),
        ("/oauth/authorize?client_id=oi&state=x", "/oauth/authorize?client_id=oi&state=x"),
        (None, "/settings/tokens"),
        ("", "/settings/tokens"),
        ("//evil.example", "/settings/tokens"),
        ("/\\evil.example", "/settings/tokens"),
        ("/\t/evil.example", "/settings/tokens"),
        ("https://evil.example/", "/settings/tokens"),
        ("javascript:alert(1)", "/settings/tokens"),
        ("leaks", "/settings/tokens"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=dt.UTC)


def test_daily_counts_cover_the_window_with_zeros() -> None:
    moments = [at(31), at(31, 23), at(2), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)]
    counts = daily_counts(moments, TODAY)
    assert len(counts) == 30 and counts[0] == (dt.date(2026, 3, 2), 1)
    assert counts[-1] == (TODAY, 2) and sum(n for _, n in counts) == 3


def test_days_are_utc_days() -> None:
    late_in_new_york = dt.datetime(2026, 3, 30, 22, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert daily_counts([late_in_new_york], TODAY)[-1] == (TODAY, 1)


def test_bars_scale_to_the_busiest_day() -> None:
    chart = leak_chart([at(31), at(31), at(30)], TODAY, width=300, height=100)
    assert chart.peak == 2 and chart.total == 3 and len(chart.bars) == 30
    last, before = chart.bars[-1], chart.bars[-2]
    assert (last.height, last.y) == (100, 0) and (before.height, before.y) == (50, 50)
    assert chart.bars[0].height == 0 and chart.bars[0].y == 100
    assert all(bar.x + bar.width <= 300 for bar in chart.bars)
    assert last.title == "2026-03-31: 2 leaks" and before.title == "2026-03-30: 1 leak"
    assert "3 in all" in chart.label


def test_an_empty_month_draws_flat_bars() -> None:
    chart = leak_chart([], TODAY)
    assert chart.peak == 0 and {bar.height for bar in chart.bars} == {0}
