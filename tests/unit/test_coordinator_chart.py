"""The weekly digest's chart: pairs by stage over real dates, with readable date labels (it
used to be an empty band labelled "01-01 00")."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.coordination.reports import STAGES, chart_date_labels, pairs_chart, pairs_figure

LABELS = {stage: stage.title() for stage in STAGES}


def history(days: int, start: date = date(2026, 11, 2)) -> list[tuple[date, dict[str, int]]]:
    return [(start + timedelta(days=n), {stage: 5 + n for stage in STAGES}) for n in range(days)]


def figure(points: list[tuple[date, dict[str, int]]], k: int = 5):  # noqa: ANN201
    return pairs_figure(points, k, labels=LABELS, title="Pairs", hidden_label="Fewer than 5")


def test_a_month_of_snapshots_is_labelled_with_real_dates() -> None:
    labels = chart_date_labels(figure(history(29)))
    assert 3 <= len(labels) <= 8
    # each label is a day of the month the snapshots cover, in order
    days = [datetime.strptime(f"{label} 2026", "%d %b %Y").date() for label in labels]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert all(date(2026, 11, 1) <= day <= date(2026, 12, 1) for day in days)


def test_a_single_day_still_shows_its_date_and_its_lines() -> None:
    fig = figure(history(1, date(2026, 12, 7)))
    assert "07 Dec" in chart_date_labels(fig)
    lines = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 1]
    assert len(lines) == len(STAGES)


def test_every_stage_is_a_line_with_one_point_per_snapshot_day() -> None:
    fig = figure(history(8))
    assert sorted(len(line.get_xdata()) for line in fig.axes[0].get_lines()) == [8] * len(STAGES)


def test_when_every_group_is_below_k_the_band_says_so_and_no_number_is_drawn() -> None:
    fig = figure(history(3), k=50)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["Fewer than 5"]
    assert chart_date_labels(fig)  # dates still readable
    png = pairs_chart(history(3), 50, labels=LABELS, title="Pairs", hidden_label="Fewer than 5")
    assert png.startswith(b"\x89PNG")
