"""Time the MNIST lesson: lrlab's training loop against a plain PyTorch loop.

    .venv/bin/python bench/bench_train.py [--repeat 3] [--no-process]

Both run the lesson on the same data in this process: Linear(784, 10),
cross-entropy, SGD at lr 0.1 with the exponential schedule (gamma 0.8),
batches of 100, 15 epochs, test accuracy after every epoch, one thread.

- lrlab: ``lrlab.training.train`` (gradient and SGD step written out).
- plain: TensorDataset + DataLoader(batch_size=100, shuffle=True), nn.Linear,
  autograd, torch.optim.SGD and torch.optim.lr_scheduler.ExponentialLR.

With ``--repeat N`` each loop runs N times and the fastest run counts (the
machine may be busy with other work). Unless ``--no-process`` is given, it
also times the whole ``lrlab train --quiet`` command, start to exit.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from lrlab.data import load_mnist
from lrlab.spec import parse_schedule
from lrlab.training import TensorData, TrainConfig, train

EPOCHS = 15
LR = 0.1
GAMMA = 0.8
BATCH = 100
SEED = 0


class Timer:
    """Wall and CPU seconds of a block (CPU time suffers less from other work)."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def lrlab_loop(data: TensorData) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and final test accuracy of lrlab's loop."""
    config = TrainConfig(epochs=EPOCHS, lr=LR, batch_size=BATCH, seed=SEED)
    schedule = parse_schedule(f"exponential(gamma={GAMMA})")

    with Timer() as timer:
        result = train(config, data, schedule)
    return timer.wall, timer.cpu, result.final_test_accuracy


def plain_loop(data: TensorData) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and final test accuracy of the plain loop."""
    torch.manual_seed(SEED)
    images = data.train_images.to(torch.float32) / 255
    loader = DataLoader(
        TensorDataset(images, data.train_labels),
        batch_size=BATCH,
        shuffle=True,
        drop_last=True,
    )
    model = torch.nn.Linear(784, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=GAMMA)

    with Timer() as timer:
        for _ in range(EPOCHS):
            for x, y in loader:
                loss = F.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            scheduler.step()
            with torch.no_grad():
                predicted = model(data.test_images).argmax(1)
                accuracy = (predicted == data.test_labels).float().mean().item()
    return timer.wall, timer.cpu, accuracy


def whole_command() -> tuple[float, float]:
    """Wall and CPU seconds of ``lrlab train --quiet`` as a new process."""
    script = Path(sys.executable).with_name("lrlab")
    command = [str(script)] if script.exists() else [shutil.which("lrlab") or "lrlab"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*command, "train", "--quiet"], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def best(runs: list[tuple[float, ...]]) -> tuple[float, ...]:
    """The fastest wall time and CPU time; the accuracy, which must not vary."""
    wall = min(run[0] for run in runs)
    cpu = min(run[1] for run in runs)
    accuracies = {run[2:] for run in runs}
    assert len(accuracies) == 1, f"accuracy changed between runs: {accuracies}"
    return (wall, cpu, *accuracies.pop())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each loop")
    parser.add_argument(
        "--no-process", action="store_true", help="skip timing the whole command"
    )
    args = parser.parse_args()

    torch.set_num_threads(1)
    start = time.perf_counter()
    data = TensorData.from_mnist(load_mnist())
    loading = time.perf_counter() - start

    ours = best([lrlab_loop(data) for _ in range(args.repeat)])
    plain = best([plain_loop(data) for _ in range(args.repeat)])

    print(f"torch {torch.__version__}, 1 thread, best of {args.repeat} runs")
    print(f"load + convert MNIST         {loading:6.2f} s wall")
    for name, (wall, cpu, accuracy) in [
        ("lrlab.training.train", ours),
        ("plain DataLoader loop", plain),
    ]:
        print(
            f"{name:28s} {wall:6.2f} s wall {cpu:6.2f} s cpu   accuracy {accuracy:.4f}"
        )
    print(
        f"speed-up                     {plain[0] / ours[0]:6.1f}x wall "
        f"{plain[1] / ours[1]:5.1f}x cpu"
    )
    if not args.no_process:
        wall, cpu = best([(*whole_command(), 0.0) for _ in range(args.repeat)])[:2]
        print(f"lrlab train (whole process)  {wall:6.2f} s wall {cpu:6.2f} s cpu")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
