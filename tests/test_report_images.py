"""The compare plots as images: size, not blank, one line colour per schedule."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import tiny_mnist
from PIL import Image

from lrlab import plotting
from lrlab.compare import run_comparison
from lrlab.config import CompareConfig
from lrlab.data import load_mnist
from lrlab.report import PLOTS, plot_images
from lrlab.training import TensorData

SPECS = (
    "exponential(gamma=0.5)",
    "step(step_size=2, gamma=0.5)",
    "linear(total_steps=4, end_factor=0.2)",
)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tiny_mnist(tmp_path_factory.mktemp("tiny"), num_train=200)
    data = TensorData.from_mnist(load_mnist(folder))
    config = CompareConfig(schedules=SPECS, epochs=4, batch_size=20, lr=0.3)
    return plot_images(run_comparison(config, data))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def colours_drawn(image: np.ndarray, palette: tuple[str, ...]) -> list[str]:
    """The palette colours that cover more than a few pixels."""
    found = []
    for colour in palette:
        rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
        count = np.all(np.abs(image.astype(int) - rgb) <= 8, axis=2).sum()
        if count > 100:
            found.append(colour)
    return found


def test_one_png_per_plot(images):
    assert list(images) == list(PLOTS)
    for png in images.values():
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert Image.open(io.BytesIO(png)).size == (800, 500)


@pytest.mark.parametrize("stem", list(PLOTS))
def test_not_blank_and_one_line_colour_per_schedule(images, stem):
    image = pixels(images[stem])

    # Mostly white background, but a good share of the pixels are drawn.
    drawn = np.any(image < 200, axis=2).mean()
    assert 0.01 < drawn < 0.5
    # Grey is left out: antialiased black text and grid lines are grey too.
    palette = tuple(c for c in plotting.COLOURS if c != "#7f7f7f")
    assert colours_drawn(image, palette) == list(palette[: len(SPECS)])
