"""The schedule docs cover every registered schedule and its plot exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrlab.schedules import registry

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("name", sorted(registry()))
def test_every_schedule_is_documented_with_a_plot(name):
    text = (DOCS / "schedules.md").read_text()

    assert f"### `{name}` ({registry()[name].__name__})" in text
    assert f"![{name}](img/{name}.png)" in text
    assert (DOCS / "img" / f"{name}.png").stat().st_size > 1000


def test_glossary_defines_the_words_used_by_the_schedules():
    text = (DOCS / "glossary.md").read_text()

    for word in ("step", "epoch", "base lr", "factor", "schedule", "spec", "warmup"):
        assert f"**{word}**" in text
    for word in ("phase", "period", "cycle", "milestone", "past the end"):
        assert f"**{word}**" in text
