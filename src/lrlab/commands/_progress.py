"""A per-epoch progress bar on stderr, for commands that train.

The bar shows only when stderr is a terminal, and only once a run has
lasted more than a moment, so short runs and redirected output stay
clean.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["epoch_bar"]

# Seconds before the bar first shows.
DELAY = 1.0


def epoch_bar(
    epochs: int,
    *,
    description: str,
    enabled: bool = True,
    stream: TextIO | None = None,
):
    """A tqdm bar counting ``epochs``; call ``update(1)`` after each epoch.

    Args:
        epochs: the total number of epochs.
        description: the text before the bar, e.g. ``"compare"``.
        enabled: False turns the bar off (``--quiet``).
        stream: where to draw; stderr by default. The bar is off unless
            it is a terminal.

    Returns:
        A ``tqdm`` object; use it as a context manager so the bar is
        cleared at the end.
    """
    from tqdm import tqdm

    stream = sys.stderr if stream is None else stream
    terminal = hasattr(stream, "isatty") and stream.isatty()
    return tqdm(
        total=epochs,
        desc=description,
        unit="epoch",
        file=stream,
        disable=not (enabled and terminal),
        delay=DELAY,
        leave=False,
        dynamic_ncols=True,
    )
