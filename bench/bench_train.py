"""Time the MNIST lesson: lrlab's training loop against a plain PyTorch loop.

    .venv/bin/python bench/bench_train.py [--repeat 3] [--no-process]

Both run the lesson on the same data in this process: Linear(784, 10),
cross-entropy, SGD at lr 0.1 with the exponential schedule (gamma 0.8),
batches of 100, 15 epochs, test accuracy after every epoch, one thread.

- lrlab: ``lrlab.training.train`` (hand-written gradient, torch.optim.SGD).
- plain: TensorDataset + DataLoader(batch_size=100, shuffle=True), nn.Linear,
  autograd, torch.optim.SGD and torch.optim.lr_scheduler.ExponentialLR.

With ``--repeat N`` each loop runs N times and the fastest run counts (the
machine may be busy with other work). Unless ``--no-process`` is given, it
also times the whole ``lrlab train --quiet`` command, start to exit.
"""

from __future__ import annotations

import argparse
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


def lrlab_loop(data: TensorData) -> tuple[float, float]:
    """Seconds and final test accuracy of lrlab's training function."""
    config = TrainConfig(epochs=EPOCHS, lr=LR, batch_size=BATCH, seed=SEED)
    schedule = parse_schedule(f"exponential(gamma={GAMMA})")

    start = time.perf_counter()
    result = train(config, data, schedule)
    return time.perf_counter() - start, result.final_test_accuracy


def plain_loop(data: TensorData) -> tuple[float, float]:
    """Seconds and final test accuracy of the textbook PyTorch loop."""
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

    start = time.perf_counter()
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
    return time.perf_counter() - start, accuracy


def whole_command() -> float:
    """Seconds for ``lrlab train --quiet`` as a new process."""
    script = Path(sys.executable).with_name("lrlab")
    command = [str(script)] if script.exists() else [shutil.which("lrlab") or "lrlab"]
    start = time.perf_counter()
    subprocess.run([*command, "train", "--quiet"], check=True, capture_output=True)
    return time.perf_counter() - start


def best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    seconds = min(run[0] for run in runs)
    accuracies = {run[1] for run in runs}
    assert len(accuracies) == 1, f"accuracy changed between runs: {accuracies}"
    return seconds, accuracies.pop()


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
    print(f"load + convert MNIST        {loading:6.2f} s")
    print(f"lrlab.training.train        {ours[0]:6.2f} s   accuracy {ours[1]:.4f}")
    print(f"plain DataLoader loop       {plain[0]:6.2f} s   accuracy {plain[1]:.4f}")
    print(f"speed-up                    {plain[0] / ours[0]:6.1f}x")
    if not args.no_process:
        seconds = min(whole_command() for _ in range(args.repeat))
        print(f"lrlab train (whole process) {seconds:6.2f} s")


if __name__ == "__main__":
    main()
