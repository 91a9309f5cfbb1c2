"""The pictures and the HTML page of a comparison.

:func:`plot_images` draws the lr, the training loss and the test accuracy
against epochs, one line per schedule, as PNG bytes. :func:`render_html`
makes one self-contained page: the images are embedded as base64 data
URIs and the style sheet is inline, so the page opens offline, from any
folder, with nothing else beside it.

The lr plot is :func:`lrlab.plotting.schedule_figure`, the picture of
``lrlab plot``; the other two use the same colours in the same order.
"""

from __future__ import annotations

import base64
import io
import math
from typing import TYPE_CHECKING

from lrlab import plotting

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.compare import Comparison

__all__ = ["PLOTS", "metric_figure", "plot_images", "render_html"]

# File stem -> (record field, axis label), in the order the report shows them.
PLOTS = {
    "lr": ("lr", "learning rate"),
    "train_loss": ("train_loss", "training loss (mean over the epoch)"),
    "test_accuracy": ("test_accuracy", "test accuracy (after the epoch)"),
}


def colour(index: int) -> str:
    """The colour of the ``index``-th schedule in every plot.

    It is :func:`lrlab.plotting.line_style`'s, so every plot agrees.
    """
    return plotting.line_style(index)[0]


def plot_images(comparison: Comparison) -> dict[str, bytes]:
    """PNG images of the lr, training loss and test accuracy, by file stem."""
    images = {}
    for stem, (name, label) in PLOTS.items():
        curves = {
            result.spec: [getattr(record, name) for record in result.records]
            for result in comparison.results
        }
        if stem == "lr":
            base_lr = comparison.config.lr
            figure = plotting.schedule_figure(
                curves, base_lr=base_lr, steps_per_epoch=1
            )
            # Epoch e is drawn from e - 1 to e, at lr * schedule(e - 1).
            figure.axes[0].set_title(
                f"learning rate = {base_lr:g} \N{MULTIPLICATION SIGN} "
                "schedule(e - 1) during epoch e"
            )
        else:
            figure = metric_figure(curves, label)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        images[stem] = buffer.getvalue()
    return images


def metric_figure(curves: dict[str, list[float]], label: str) -> Figure:
    """Draw a per-epoch value against the epoch (1, 2, ...), one line each."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 5), layout="constrained")
    axes = figure.add_subplot()
    for index, (name, values) in enumerate(curves.items()):
        line_colour, linestyle = plotting.line_style(index)
        axes.plot(
            range(1, len(values) + 1),
            values,
            color=line_colour,
            linestyle=linestyle,
            linewidth=2,
            marker="o",
            markersize=4,
            label=name,
        )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.set_ylabel(label)
    axes.set_title(f"{label} by epoch")
    axes.grid(True, alpha=0.3)
    figure.legend(loc="outside lower center", fontsize="small")
    return figure


def render_html(comparison: Comparison, images: dict[str, bytes]) -> str:
    """The report page; ``images`` are PNG bytes by stem, as from plot_images."""
    import jinja2

    environment = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    environment.filters["number"] = _number
    template = environment.from_string(_TEMPLATE)
    config = comparison.config
    # A diverged schedule's last accuracy is not a final one (and is nan
    # when it diverged in its first epoch): it is not in the running.
    finished = [r for r in comparison.results if r.divergence is None]
    finals = [r.final_test_accuracy for r in finished]
    best_final = max((a for a in finals if not math.isnan(a)), default=None)
    return template.render(
        title=config.title or f"lrlab compare: {len(config.schedules)} schedules",
        config=config,
        comparison=comparison,
        rows=[
            {
                "result": result,
                "colour": colour(index),
                "best": result.divergence is None
                and result.final_test_accuracy == best_final,
            }
            for index, result in enumerate(comparison.results)
        ],
        plots=[
            {
                "stem": stem,
                "alt": f"{label} against epoch, one line per schedule",
                "src": "data:image/png;base64,"
                + base64.b64encode(images[stem]).decode("ascii"),
            }
            for stem, (_, label) in PLOTS.items()
        ],
        diverged=any(result.divergence for result in comparison.results),
        config_toml=config.to_toml(),
        data=config.data_dir or comparison.data_source or "bundled MNIST",
    )


def _number(value: float) -> str:
    """A value of the results table; a dash where there is none (nan)."""
    return "\N{EN DASH}" if math.isnan(value) else f"{value:.4f}"


_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em;
       padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.spec { font-family: ui-monospace, monospace; white-space: nowrap; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em;
          margin-right: 0.5em; vertical-align: middle; }
tr.best td { font-weight: bold; }
figure { margin: 1em 0; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
.muted { color: #666; }
.diverged { color: #b00; font-family: system-ui, sans-serif; white-space: normal; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p>The MNIST lesson, Linear(784, 10) with SGD and cross-entropy, trained
under each schedule from the same initial weights through the same batches:
{{ config.epochs }} epochs, base lr {{ config.lr }}, batch size
{{ config.batch_size }}, seed {{ config.seed }}; the lr of epoch e is
lr &times; schedule(e - 1). Data: {{ data }}.</p>

<h2>Results</h2>
<table id="results">
<thead>
<tr><th>schedule</th><th>final test accuracy</th>
<th>best test accuracy (epoch)</th><th>final train loss</th><th>time (s)</th></tr>
</thead>
<tbody>
{% for row in rows %}
<tr{% if row.best %} class="best"{% endif %}>
<td class="spec"><span class="swatch" style="background: {{ row.colour }}"></span>
{{- row.result.spec }}
{%- if row.result.divergence %}<br><span class="diverged">{{ row.result.divergence }};
{% if row.result.records %}the numbers are those of the epochs before
{%- else %}no epoch completed{% endif %}</span>{% endif %}</td>
<td>{{ row.result.final_test_accuracy | number }}</td>
<td>{{ row.result.best_test_accuracy | number }}
{%- if row.result.best_epoch %} ({{ row.result.best_epoch }}){% endif %}</td>
<td>{{ row.result.final_train_loss | number }}</td>
<td>{{ "%.1f" | format(row.result.seconds) }}</td>
</tr>
{% endfor %}
</tbody>
</table>
<p class="muted">The schedules trained together as one batched model in
{{ "%.1f" | format(comparison.seconds) }} s; each row's time is its share.
Bold: the highest final test accuracy{% if diverged %} of the schedules
that did not diverge. A schedule that diverged stopped there; the others
went on{% endif %}.</p>

<h2>Plots</h2>
{% for plot in plots %}
<figure id="plot-{{ plot.stem }}">
<img src="{{ plot.src }}" alt="{{ plot.alt }}" width="800" height="500">
</figure>
{% endfor %}

<h2>Per epoch</h2>
{% for row in rows %}
<details>
<summary class="spec">{{ row.result.spec }}</summary>
<table>
<thead><tr><th>epoch</th><th>lr</th><th>train loss</th>
<th>test accuracy</th></tr></thead>
<tbody>
{% for record in row.result.records %}
<tr><td>{{ record.epoch }}</td><td>{{ "%.6g" | format(record.lr) }}</td>
<td>{{ "%.4f" | format(record.train_loss) }}</td>
<td>{{ "%.4f" | format(record.test_accuracy) }}</td></tr>
{% endfor %}
</tbody>
</table>
</details>
{% endfor %}

<h2>Repeat this run</h2>
<p>The settings, as <code>config.toml</code> in this folder:</p>
<pre id="config">{{ config_toml }}</pre>
<pre>lrlab compare --config config.toml --out NEW_FOLDER</pre>
<table id="versions">
<tr><th>started (UTC)</th><td>{{ comparison.started }}</td></tr>
{% for name, version in comparison.versions.items() %}
<tr><th>{{ name }}</th><td>{{ version }}</td></tr>
{% endfor %}
<tr><th>seed</th><td>{{ config.seed }}</td></tr>
</table>
<p class="muted">The same settings give the same numbers on the same
machine and versions; another CPU or library version may differ in the last
digits.</p>
</body>
</html>
"""
