"""Time compare's batched training: S schedules at once against one.

    .venv/bin/python bench/bench_compare.py [--epochs 3] [--repeat 3]

Trains the MNIST lesson (Linear(784, 10), SGD, batches of 100, one thread)
under 1, 2, 4 and 8 schedules with ``lrlab.training.train_many``, all in
this process on the same data, and prints each one's cost relative to a
single schedule. Separate runs would cost S times one; the batched model
shares the batches, the shuffling, and the fixed cost of every step.

Each size runs ``--repeat`` times, the sizes taking turns, and the fastest
run counts (the machine may be busy with other work). CPU seconds are
shown too: they suffer less from other processes than wall seconds.
"""

from __future__ import annotations

import argparse
import time

from lrlab.data import load_mnist
from lrlab.spec import parse_schedule
from lrlab.training import TensorData, TrainConfig, train_many

SPECS = (
    "exponential(gamma=0.8)",
    "step(step_size=5, gamma=0.5)",
    "cosine(total_steps=15)",
    "constant()",
    "linear(total_steps=15, end_factor=0.1)",
    "multistep(milestones=[5, 10], gamma=0.3)",
    "one_cycle(total_steps=15)",
    "inverse_sqrt(warmup_steps=2)",
)
COUNTS = (1, 2, 4, 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = TensorData.from_mnist(load_mnist())
    config = TrainConfig(epochs=args.epochs)
    schedules = [parse_schedule(spec) for spec in SPECS]
    train_many(TrainConfig(epochs=1), data, schedules[:1])  # warm up

    best = {count: (float("inf"), float("inf")) for count in COUNTS}
    for _ in range(args.repeat):
        for count in COUNTS:
            wall, cpu = time.perf_counter(), time.process_time()
            train_many(config, data, schedules[:count])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[count] = (min(best[count][0], wall), min(best[count][1], cpu))

    one_wall, one_cpu = best[1]
    print(
        f"MNIST lesson, {args.epochs} epochs, batch 100, one thread; "
        f"fastest of {args.repeat}"
    )
    print(
        f"{'schedules':>9}  {'wall s':>7}  {'cpu s':>7}  {'x one':>6}  {'separate':>8}"
    )
    for count in COUNTS:
        wall, cpu = best[count]
        print(
            f"{count:>9}  {wall:>7.2f}  {cpu:>7.2f}  {cpu / one_cpu:>6.2f}  "
            f"{count:>7.2f}x"
        )
    wall, cpu = best[8]
    print(
        f"8 schedules cost {cpu / one_cpu:.2f}x one in CPU time "
        f"({wall / one_wall:.2f}x in wall time); 8 separate runs cost 8x"
    )


if __name__ == "__main__":
    main()
