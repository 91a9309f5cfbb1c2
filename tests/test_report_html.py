"""The report page with schedules that diverged, built without training."""

from __future__ import annotations

import re

import pytest

from lrlab.compare import Comparison, ScheduleResult
from lrlab.config import CompareConfig
from lrlab.report import PLOTS, plot_images, render_html
from lrlab.training import Divergence, EpochRecord

GOOD = "constant(factor=1.0)"
LATE = "piecewise_constant(boundaries=[2], factors=[1.0, 1e+39])"
EARLY = "constant(factor=1e+300)"


def record(epoch: int, accuracy: float) -> EpochRecord:
    return EpochRecord(epoch, 0.1, 0.5, accuracy, 0.25)


def comparison(*results: ScheduleResult) -> Comparison:
    config = CompareConfig(schedules=tuple(r.spec for r in results), epochs=3)
    return Comparison(config, results, 1.0, "2026-01-01T00:00:00+00:00")


def bold_rows(html: str) -> list[str]:
    return re.findall(
        r'<tr class="best">\s*<td class="spec">.*?</span>(.*?)[<\n]', html
    )


@pytest.fixture(scope="module")
def mixed() -> Comparison:
    return comparison(
        ScheduleResult(EARLY, (), Divergence(1, 1, 1e299, "loss is nan")),
        ScheduleResult(GOOD, (record(1, 0.8), record(2, 0.85), record(3, 0.9))),
        ScheduleResult(
            LATE,
            (record(1, 0.8), record(2, 0.95)),
            Divergence(3, 2, 1e38, "loss is inf"),
        ),
    )


def test_a_diverged_schedule_is_marked_in_its_row(mixed):
    html = render_html(mixed, {stem: b"" for stem in PLOTS})

    assert "training diverged at epoch 1, step 1: loss is nan at lr 1e+299" in html
    assert "training diverged at epoch 3, step 2: loss is inf at lr 1e+38" in html
    assert "no epoch completed" in html
    assert "<td>\N{EN DASH}</td>" in html
    assert "<td>nan" not in html
    assert "A schedule that diverged stopped there" in html


def test_the_best_row_skips_a_nan_accuracy(mixed):
    html = render_html(mixed, {stem: b"" for stem in PLOTS})

    assert bold_rows(html) == [GOOD]


def test_no_row_is_bold_when_every_schedule_diverged_at_once():
    nan_only = comparison(
        ScheduleResult(EARLY, (), Divergence(1, 1, 1e299, "loss is nan")),
        ScheduleResult(GOOD, (), Divergence(1, 3, 1e299, "loss is inf")),
    )

    html = render_html(nan_only, {stem: b"" for stem in PLOTS})

    assert bold_rows(html) == []
    assert html.count("training diverged at epoch 1") == 2


def test_the_plots_draw_whatever_epochs_each_schedule_has(mixed):
    images = plot_images(mixed)

    assert list(images) == list(PLOTS)
    assert all(png.startswith(b"\x89PNG") for png in images.values())
