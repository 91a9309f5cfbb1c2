"""``lrlab plot`` images, read back as pixels; and the plotting helpers."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread
from test_plot import SPECS, lrlab

from lrlab import plotting

# The colours the figure gives its first lines, in order.
COLOURS = [to_rgb(colour) for colour in plotting.COLOURS]


def pixels_near(image, colour, tolerance=0.02):
    """How many pixels of an RGB(A) float image are within ``tolerance``."""
    distance = np.abs(image[..., :3] - np.array(colour)).max(axis=-1)
    return int((distance < tolerance).sum())


def draw(capsys, tmp_path, *argv, name="lrs.png"):
    target = tmp_path / name
    code, out, err = lrlab(capsys, *argv, "-o", str(target))
    assert (code, out, err) == (0, f"wrote {target}\n", "")
    return target


def test_each_schedule_gets_its_own_line_colour(capsys, tmp_path):
    specs = (*SPECS, "multistep(milestones=[3, 8], gamma=0.3)")

    image = imread(draw(capsys, tmp_path, *specs, "--steps", "15"))

    assert image.shape[:2] == (500, 800)
    # Not blank: mostly white background, but plenty drawn on it.
    white = pixels_near(image, (1.0, 1.0, 1.0))
    assert 0.5 * image[..., 0].size < white < 0.95 * image[..., 0].size
    # Three lines: three of the palette's colours, each over many pixels
    # (a line 2 px wide across the plot), and none of the fourth.
    drawn = [pixels_near(image, colour) for colour in COLOURS[:4]]
    assert all(count > 500 for count in drawn[:3]), drawn
    assert drawn[3] == 0, drawn


def test_one_schedule_draws_one_colour(capsys, tmp_path):
    image = imread(draw(capsys, tmp_path, "exponential(gamma=0.9)", "--steps", "40"))

    drawn = [pixels_near(image, colour) for colour in COLOURS[:3]]
    assert drawn[0] > 500 and drawn[1:] == [0, 0], drawn


def test_a_log_axis_and_epochs_draw_too(capsys, tmp_path):
    path = draw(
        capsys,
        tmp_path,
        *SPECS,
        "--steps",
        "200",
        "--log",
        "--steps-per-epoch",
        "20",
    )

    image = imread(path)
    assert all(pixels_near(image, colour) > 500 for colour in COLOURS[:2])


@pytest.mark.parametrize(
    ("name", "start"),
    [("lrs.svg", b"<?xml"), ("lrs.pdf", b"%PDF"), ("LRS.PNG", b"\x89PNG")],
)
def test_the_extension_picks_the_image_format(capsys, tmp_path, name, start):
    path = draw(capsys, tmp_path, *SPECS, "--steps", "10", name=name)

    assert path.read_bytes().startswith(start)


def test_a_zero_lr_on_a_log_axis_is_left_out(capsys, tmp_path):
    spec = "inverse_sqrt(warmup_steps=5, start_factor=0)"  # 0 at step 0

    image = imread(draw(capsys, tmp_path, spec, "--steps", "10", "--log"))

    assert pixels_near(image, COLOURS[0]) > 100


# --- the text chart on its own -------------------------------------------


def test_a_long_run_is_sampled_to_the_chart_width():
    lrs = np.linspace(1.0, 0.0, 1000)

    chart = plotting.text_chart({"linear": lrs}, width=50, height=10)

    rows = chart.splitlines()[:10]
    assert max(len(row) for row in rows) <= 15 + 50
    assert rows[0].split("|")[1].startswith("*")
    assert rows[-1].endswith("*")


def test_a_short_run_gets_whole_columns_per_step():
    chart = plotting.text_chart({"up": [1, 2, 3, 4]}, width=10, height=4)

    rows = [row.split("|")[1] for row in chart.splitlines()[:4]]
    assert rows == ["      **", "    **", "  **", "**"]


def test_a_flat_curve_sits_on_the_middle_row_with_one_label():
    chart = plotting.text_chart({"flat": [0.1] * 5}, height=5)

    rows = chart.splitlines()[:5]
    assert [("*" in row) for row in rows] == [False, False, True, False, False]
    assert [row.split("|")[0].strip() for row in rows] == ["", "", "0.1", "", ""]


def test_cells_that_curves_share_are_marked():
    chart = plotting.text_chart({"a": [1.0, 0.5], "b": [1.0, 0.2]}, height=5)

    assert chart.splitlines()[0].split("|")[1].startswith("#")
    assert "  # where curves overlap" in chart


def test_zero_lrs_are_left_out_of_a_log_chart():
    chart = plotting.text_chart({"drop": [1.0, 0.1, 0.0]}, log=True, height=5)

    assert "zero lrs are left out" in chart
    assert chart.count("*") == 1 + 2 * 21  # legend marker + two steps shown


def test_an_unknown_image_extension_is_refused(tmp_path):
    figure = plotting.schedule_figure({"c": [0.1, 0.1]}, base_lr=0.1)

    with pytest.raises(
        ValueError, match=r"end in one of .png, .svg, .pdf, got '.*lrs.gif'"
    ):
        plotting.save_figure(figure, tmp_path / "lrs.gif")


def finder_result(losses):
    from lrlab.find_lr import LRFinderResult

    return LRFinderResult(
        lrs=tuple(np.geomspace(1e-3, 1.0, len(losses)).tolist()),
        losses=tuple(losses),
        smoothed_losses=tuple(losses),
        diverged=False,
        num_steps=len(losses),
    )


def test_a_flat_range_test_draws_without_warnings(tmp_path, recwarn):
    figure = plotting.lr_finder_figure(finder_result([1.0] * 5))
    plotting.save_figure(figure, tmp_path / "flat.png")

    assert [str(w.message) for w in recwarn] == []
    image = imread(tmp_path / "flat.png")
    assert pixels_near(image, COLOURS[0]) > 200


def test_a_range_test_of_one_step_cannot_be_drawn():
    with pytest.raises(ValueError, match="from 1 recorded step"):
        plotting.lr_finder_figure(finder_result([1.0]))


def drawn_line(values, **options):
    figure = plotting.schedule_figure({"s": np.asarray(values)}, base_lr=1, **options)
    (line,) = figure.axes[0].lines
    return line


def test_a_step_drawn_line_keeps_only_the_steps_where_the_lr_changes():
    from lrlab.schedules import Step

    values = Step(step_size=250_000, gamma=0.5)(np.arange(1_000_000))

    line = drawn_line(values, steps_per_epoch=1000)

    assert line.get_drawstyle() == "steps-post"
    # Each lr from its first step; the last one held to the end (epoch 1000).
    assert line.get_xdata().tolist() == [0, 250, 500, 750, 1000]
    assert line.get_ydata().tolist() == [1, 0.5, 0.25, 0.125, 0.125]


def test_a_short_line_is_every_step_of_it():
    line = drawn_line([0.3, 0.2, 0.1])

    assert line.get_xdata().tolist() == [0, 1, 2, 3]
    assert line.get_ydata().tolist() == [0.3, 0.2, 0.1, 0.1]


def test_a_long_changing_line_is_drawn_from_its_outline():
    # A triangle wave of period 10: every step changes, a million of them.
    steps = np.arange(1_000_000)
    values = np.abs((steps % 10) - 5.0)

    line = drawn_line(values)

    x, y = line.get_xdata(), line.get_ydata()
    assert line.get_drawstyle() == "default"
    assert len(x) == 20_001
    # Each span of 100 steps is a stroke from its highest to its lowest lr.
    assert x[:6].tolist() == [0, 0, 100, 100, 200, 200]
    assert y[:6].tolist() == [5, 0, 5, 0, 5, 0]
    assert (x[-1], y[-1]) == (1_000_000, values[-1])
