"""The schedule docs cover every registered schedule, are up to date, have plots."""

from __future__ import annotations

import importlib.util
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


def test_the_schedules_page_is_what_its_builder_writes():
    path = DOCS / "build_schedules_doc.py"
    spec = importlib.util.spec_from_file_location("build_schedules_doc", path)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)

    assert (DOCS / "schedules.md").read_text() == builder.page(), (
        "docs/schedules.md is stale: run python docs/build_schedules_doc.py"
    )
