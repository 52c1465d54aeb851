"""Headless benchmarks: samples per second of ``Trainer.train_batch``, NumPy vs PyTorch.

PyTorch, when installed, runs in a child process: loading it next to NumPy's
training makes their BLAS thread pools stall each other (see the design notes),
and the comparison must be measured in the same run to mean anything.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time

import numpy as np

#: (label, sizes, hidden activation, batch size, output, loss)
CASES = [
    ("784-16-16-10 sigmoid b32", [784, 16, 16, 10], "sigmoid", 32, "softmax", "cross_entropy"),
    ("64-128-32-10 relu b32", [64, 128, 32, 10], "relu", 32, "softmax", "cross_entropy"),
    ("784-128-64-10 relu b128", [784, 128, 64, 10], "relu", 128, "softmax", "cross_entropy"),
    ("12-1 linear b4", [12, 1], "linear", 4, "linear", "mse"),
]


def _batches(sizes, batch, loss, n=16, seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.random((n, batch, sizes[0]), dtype=np.float32)
    if loss == "mse":
        ys = rng.choice(np.float32([-1, 1]), size=(n, batch, sizes[-1]))
    else:
        ys = rng.integers(0, sizes[-1], size=(n, batch))
    return xs, ys


def time_loop(fn, seconds: float) -> float:
    """Calls per second of fn(i) over at least ``seconds`` (after a short warm-up)."""
    for i in range(20):
        fn(i)
    calls, start = 0, time.perf_counter()
    while True:
        for _ in range(50):
            fn(calls)
            calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed


def numpy_samples_per_second(sizes, hidden, batch, output, loss, seconds=1.0) -> float:
    from .model.data.datasets import Dataset
    from .model.core.network import Network
    from .model.core.settings import TrainSettings
    from .model.core.trainer import Trainer

    xs, ys = _batches(sizes, batch, loss)
    data = Dataset("bench", xs[0], ys[0], xs[0], ys[0], (1, sizes[0]), tuple("0123456789")[: sizes[-1]])
    t = Trainer(Network(sizes, hidden=hidden, output=output, seed=0), data,
                TrainSettings(learning_rate=0.01, batch_size=batch, loss=loss))
    return batch * time_loop(lambda i: t.train_batch(xs[i % 16], ys[i % 16]), seconds)


_TORCH_SCRIPT = r"""
import json, sys, time
import numpy as np, torch
from nnviz.bench import CASES, _batches, time_loop
seconds = float(sys.argv[1])
acts = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "linear": torch.nn.Identity}
out = {}
for label, sizes, hidden, batch, output, loss in CASES:
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(acts[hidden]())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    lossf = torch.nn.MSELoss() if loss == "mse" else torch.nn.CrossEntropyLoss()
    xs, ys = _batches(sizes, batch, loss)
    xs = [torch.from_numpy(x) for x in xs]
    ys = [torch.from_numpy(y) for y in ys]
    def step(i):
        opt.zero_grad()
        l = lossf(model(xs[i % 16]), ys[i % 16])
        l.backward()
        opt.step()
        return l.item()
    out[label] = batch * time_loop(step, seconds)
print(json.dumps(out))
"""


def torch_samples_per_second(seconds=1.0) -> dict | None:
    """{case label: samples/s} from PyTorch CPU eager in a child process, or None without torch."""
    if importlib.util.find_spec("torch") is None:
        return None
    proc = subprocess.run([sys.executable, "-c", _TORCH_SCRIPT, str(seconds)], capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0:
        print(f"PyTorch comparison failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def timeline_cost(lesson: str, seconds: float = 1.0, repeats: int = 3) -> dict:
    """Trainer.step iterations/s on a lesson with no timeline, recording every state (as
    stepping does) and recording checkpoints only (as a full-speed run does), plus the time
    ``Timeline.fill`` then takes to recreate the newest ``recent`` states when it stops.

    The three alternate (off, every, checkpoints, off, …) and the ratios are of the
    medians, so a machine that gets busier during the run skews all sides alike.
    """
    from .model.lessons import get_lesson
    from .model.core.timeline import CHECKPOINT_EVERY, Timeline

    t = get_lesson(lesson).build(seed=0)
    every_line, sparse_line = Timeline(), Timeline()

    def every(_):
        t.step()
        every_line.record(t.state())

    def checkpoints(_):
        t.step()
        if t.iteration % CHECKPOINT_EVERY == 0:
            sparse_line.record(t.state())

    off, on, sparse = [], [], []
    for _ in range(repeats):
        off.append(time_loop(lambda _: t.step(), seconds / repeats))
        on.append(time_loop(every, seconds / repeats))
        sparse_line.clear()
        sparse_line.record(t.state())
        sparse.append(time_loop(checkpoints, seconds / repeats))
    sparse_line.record(t.state())
    fill_start = time.perf_counter()
    filled = sparse_line.fill(t.replayer(), t.iteration)
    fill_ms = 1000 * (time.perf_counter() - fill_start)
    state = t.state()
    off_m = float(np.median(off))
    return {"off_iterations_per_second": off_m, "on_iterations_per_second": float(np.median(on)),
            "ratio": float(np.median(on)) / off_m,
            "checkpoints_iterations_per_second": float(np.median(sparse)),
            "checkpoints_ratio": float(np.median(sparse)) / off_m, "checkpoint_every": CHECKPOINT_EVERY,
            "fill_states": filled, "fill_ms": fill_ms, "state_bytes": state.nbytes,
            "capacity_states": every_line.capacity, "bound_bytes": every_line.capacity * state.nbytes,
            "kept_states": len(every_line), "kept_bytes": every_line.nbytes}


def run(seconds: float = 1.0) -> dict:
    """All headless benchmark numbers as one JSON-ready dict."""
    results = {"train_batch_samples_per_second": {}, "torch_samples_per_second": None, "ratio_vs_torch": None}
    for label, sizes, hidden, batch, output, loss in CASES:
        results["train_batch_samples_per_second"][label] = numpy_samples_per_second(
            sizes, hidden, batch, output, loss, seconds)
    results["timeline"] = {lesson: timeline_cost(lesson, seconds) for lesson in ("mnist", "digits")}
    torch = torch_samples_per_second(seconds)
    if torch:
        results["torch_samples_per_second"] = torch
        results["ratio_vs_torch"] = {k: results["train_batch_samples_per_second"][k] / v
                                     for k, v in torch.items()}
    return results


def format_table(results: dict) -> str:
    lines = [f"{'train_batch':<26}{'nnviz samples/s':>16}{'torch samples/s':>17}{'ratio':>8}"]
    torch = results.get("torch_samples_per_second") or {}
    for label, sps in results["train_batch_samples_per_second"].items():
        t = torch.get(label)
        lines.append(f"{label:<26}{sps:>16,.0f}{(f'{t:,.0f}' if t else '—'):>17}"
                     f"{(f'{sps / t:.2f}×' if t else '—'):>8}")
    if not torch:
        lines.append("(PyTorch is not installed: no comparison column)")
    for lesson, r in (results.get("timeline") or {}).items():
        lines.append(f"timeline on {lesson:<7} every state {r['on_iterations_per_second']:,.0f} it/s = "
                     f"{r['ratio']:.0%} of {r['off_iterations_per_second']:,.0f} off; every "
                     f"{r['checkpoint_every']}th (full speed) {r['checkpoints_ratio']:.0%}, then "
                     f"{r['fill_states']} states filled in {r['fill_ms']:.0f} ms; bound "
                     f"{r['capacity_states']:,} states × {r['state_bytes'] / 1024:.0f} KB = "
                     f"{r['bound_bytes'] / 2**20:.0f} MB")
    return "\n".join(lines)
