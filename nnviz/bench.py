"""Headless benchmarks: training speed of nnviz's NumPy nets vs PyTorch CPU eager.

Two families, each timed with ``time_loop``:

- dense nets through ``Trainer.train_batch`` (``CASES``), reported in samples/s;
- the two convolution lessons' stacks through the Qt-free layer stack
  (``build_network`` → ``LayerNetwork.gradients`` plus an in-place SGD step),
  at batch 32 and 64 (``CONV_CASES``), reported in ms per step;
- the conv nets people publish for 28×28 digits (the mnist-conv lesson's, LeNet-5, and a
  32/64-kernel net) through ``Trainer.train_batch`` at batch 64 (``TRAIN_CASES``), nnviz
  and PyTorch each in a child process at the *same* thread count (1, then the machine's
  cores), measured in alternating rounds (see ``train_cases``).

PyTorch, when installed, runs in a child process: loaded in the same process as
NumPy's training, its thread pool and NumPy's BLAS threads compete for the same cores
and stall each other, and the comparison must be measured in the same run to mean
anything. The child builds the same nets (nn.Linear / nn.Conv2d, nn.MaxPool2d,
nn.Flatten, starting from nnviz's own initial weights), feeds the same batches, and
runs with ``torch.set_num_threads(1)`` to match nnviz's one BLAS thread; a second child
then times the conv cases at PyTorch's default thread count, for reference.
"""

from __future__ import annotations

import importlib.util
import json
import os
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




def _conv(filters, kernel, padding=0):
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": 1, "padding": padding,
            "activation": "relu"}


_POOL, _FLAT, _OUT10 = {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}

#: the convolution lessons' stacks: 8×8 digits (1,370 parameters) and 28×28 MNIST (5,994)
CONV_SPECS = {
    "conv 8×8": {"input_shape": [1, 8, 8], "layers": [_conv(8, 3, padding=1), _POOL, _FLAT, _OUT10],
                 "output": "softmax", "bias": True},
    "mnist-conv 28×28": {"input_shape": [1, 28, 28],
                         "layers": [_conv(8, 5), _POOL, _conv(16, 5), _POOL, _FLAT, _OUT10],
                         "output": "softmax", "bias": True},
}

#: (label, spec name, batch size); every conv case trains with cross-entropy and SGD, lr 0.01
CONV_CASES = [(f"{name} b{batch}", name, batch) for name in CONV_SPECS for batch in (32, 64)]

#: the speeds the conv lessons aim for, shown beside the measured ratio (not enforced):
#: nnviz speed / PyTorch speed (one thread each) at least this
CONV_TARGETS = {"conv 8×8 b32": 1.5, "mnist-conv 28×28 b64": 0.5}

CONV_LR = 0.01


def _dense(units, activation="relu"):
    return {"type": "dense", "units": units, "activation": activation}


#: conv nets of the sizes people publish for 28×28 digits, trained through Trainer.train_batch
TRAIN_SPECS = {
    "mnist-conv": CONV_SPECS["mnist-conv 28×28"],
    "LeNet-5": {"input_shape": [1, 28, 28],
                "layers": [_conv(6, 5, padding=2), _POOL, _conv(16, 5), _POOL, _FLAT,
                           _dense(120), _dense(84), _OUT10],
                "output": "softmax", "bias": True},
    "32-64 3×3 → 128": {"input_shape": [1, 28, 28],
                        "layers": [_conv(32, 3, padding=1), _POOL, _conv(64, 3, padding=1), _POOL, _FLAT,
                                   _dense(128), _OUT10],
                        "output": "softmax", "bias": True},
}

#: (label, spec name, batch size): plain SGD (lr CONV_LR) with cross-entropy, as CONV_CASES
TRAIN_CASES = [(f"{name} b64", name, 64) for name in TRAIN_SPECS]

#: nnviz speed ÷ PyTorch speed at the same thread count that the train cases aim for (not enforced)
TRAIN_TARGET = 1.2

#: alternating rounds per train case: the median of the per-round ratios is reported, so a
#: machine that gets busier (or quieter) during the run shifts both sides alike
TRAIN_ROUNDS = 5


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


def _conv_batches(spec, batch, n=16, seed=0):
    """n batches of flat rows (batch, C·H·W) in [0, 1) and integer labels."""
    rng = np.random.default_rng(seed)
    n_in = int(np.prod(spec["input_shape"]))
    xs = rng.random((n, batch, n_in), dtype=np.float32)
    ys = rng.integers(0, spec["layers"][-1]["units"], size=(n, batch))
    return xs, ys


def numpy_conv_steps_per_second(spec, batch, seconds=1.0) -> float:
    """SGD steps/s of the layer stack ``spec``: ``net.gradients`` with cross-entropy, then
    ``w -= lr·dw`` and ``b -= lr·db`` in place for every parameter array."""
    from .model.core.networks import build_network

    net = build_network(spec, seed=0)
    xs, ys = _conv_batches(spec, batch)
    params, lr = net.weights + net.biases, net.dtype.type(CONV_LR)

    def step(i):
        _, dW, db = net.gradients(xs[i % 16], ys[i % 16], "cross_entropy")
        for p, g in zip(params, dW + db):
            p -= lr * g

    return time_loop(step, seconds)


def conv_steps_per_second(seconds=1.0, cases=None) -> dict:
    """{case label: nnviz SGD steps/s} for ``cases`` (default: all of CONV_CASES)."""
    return {label: numpy_conv_steps_per_second(CONV_SPECS[name], batch, seconds)
            for label, name, batch in (CONV_CASES if cases is None else cases)}


def torch_conv_model(spec, torch):
    """A torch ``nn.Sequential`` that is nnviz's stack for ``spec`` layer for layer (PyTorch
    layouts), starting from nnviz's initial weights (``build_network(spec, seed=0)``)."""
    from .model.core.networks import build_network

    acts = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh,
            "linear": torch.nn.Identity}
    net = build_network(spec, seed=0)
    mods = []
    for layer in net.layers:
        if layer.type == "conv":
            mods.append(torch.nn.Conv2d(layer.in_shape[0], layer.filters, layer.kernel, layer.stride,
                                        layer.padding, bias=net.bias))
        elif layer.type == "maxpool":
            mods.append(torch.nn.MaxPool2d(layer.size))
        elif layer.type == "flatten":
            mods.append(torch.nn.Flatten())
        else:
            mods.append(torch.nn.Linear(layer.in_shape[0], layer.units, bias=net.bias))
        if layer.activation is not None and layer is not net.layers[-1]:
            mods.append(acts[layer.activation]())
    model = torch.nn.Sequential(*mods)
    params = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        for m, w, b in zip(params, net.weights, net.biases):
            m.weight.copy_(torch.from_numpy(w))
            if m.bias is not None:
                m.bias.copy_(torch.from_numpy(b))
    assert sum(p.numel() for p in model.parameters()) == net.n_parameters
    return model


def _train_steppers(backend: str) -> dict:
    """{case label: step(i)} for TRAIN_CASES: nnviz's ``Trainer.train_batch`` or a torch
    SGD step on the same batches, from the same initial weights."""
    steppers = {}
    for label, name, batch in TRAIN_CASES:
        spec = TRAIN_SPECS[name]
        xs, ys = _conv_batches(spec, batch)
        if backend == "torch":
            import torch

            model = torch_conv_model(spec, torch)
            opt, lossf = torch.optim.SGD(model.parameters(), lr=CONV_LR), torch.nn.CrossEntropyLoss()
            shape = (batch,) + tuple(spec["input_shape"])  # the same rows as nnviz's, as (B, C, H, W)
            tx = [torch.from_numpy(x.reshape(shape)) for x in xs]
            ty = [torch.from_numpy(y) for y in ys]

            def step(i, model=model, opt=opt, lossf=lossf, tx=tx, ty=ty):
                opt.zero_grad()
                loss = lossf(model(tx[i % 16]), ty[i % 16])
                loss.backward()
                opt.step()
                return loss.item()
        else:
            from .model.core.networks import build_network
            from .model.core.settings import TrainSettings
            from .model.core.trainer import Trainer
            from .model.data.datasets import Dataset

            shape = tuple(spec["input_shape"])
            data = Dataset("bench", xs[0], ys[0], xs[0], ys[0], shape[1:], tuple("0123456789"))
            trainer = Trainer(build_network(spec, seed=0), data,
                              TrainSettings(learning_rate=CONV_LR, batch_size=batch, loss="cross_entropy"))

            def step(i, trainer=trainer, xs=xs, ys=ys):
                return trainer.train_batch(xs[i % 16], ys[i % 16])
        for i in range(5):  # warm-up: scratch arrays, BLAS buffers, torch's allocator
            step(i)
        steppers[label] = step
    return steppers


def _serve_train_steps(backend: str, threads: int) -> None:
    """A measuring child: builds the train cases once, then answers each stdin line
    "label seconds" with steps/s of that case over at least ``seconds`` (and 3 steps)."""
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
    steppers = _train_steppers(backend)
    print("ready", flush=True)
    calls = dict.fromkeys(steppers, 0)
    for line in sys.stdin:
        label, seconds = line.rstrip("\n").rsplit(" ", 1)
        step, n, start = steppers[label], 0, time.perf_counter()
        while n < 3 or time.perf_counter() - start < float(seconds):
            step(calls[label] + n)
            n += 1
        calls[label] += n
        print(json.dumps(n / (time.perf_counter() - start)), flush=True)


class _Child:
    """A ``_serve_train_steps`` process: ``steps_per_second(label, seconds)``."""

    def __init__(self, backend: str, threads: int):
        env = dict(os.environ)
        for var in _PINNED_THREAD_VARS:  # nnviz's BLAS and torch's MKL alike use this many threads
            env[var] = str(threads)
        code = "import sys; from nnviz.bench import _serve_train_steps as s; s(sys.argv[1], int(sys.argv[2]))"
        self.proc = subprocess.Popen([sys.executable, "-c", code, backend, str(threads)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(self._failure())

    def _failure(self) -> str:
        self.proc.kill()
        lines = self.proc.communicate()[1].strip().splitlines()
        return lines[-1] if lines else "the child process stopped"

    def steps_per_second(self, label: str, seconds: float) -> float:
        self.proc.stdin.write(f"{label} {seconds}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(self._failure())
        return float(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def train_cases(seconds: float = 1.0, threads=None, with_torch: bool | None = None,
                rounds: int = TRAIN_ROUNDS) -> dict:
    """TRAIN_CASES, nnviz's ``Trainer.train_batch`` beside PyTorch CPU eager, side by side.

    For each thread count T in ``threads`` (default: 1, and the machine's cores when more),
    one nnviz child (BLAS pinned to T threads) and one torch child
    (``torch.set_num_threads(T)``) take turns: every round times each case for
    ``seconds / rounds`` on one side, then on the other. Returns ``{str(T): {label:
    {"nnviz_ms", "torch_ms", "ratio"}}}`` with the medians over rounds (ratio: the median
    of the per-round nnviz speed ÷ torch speed); torch_ms and ratio are None without torch.
    """
    if threads is None:
        threads = sorted({1, os.cpu_count() or 1})
    if with_torch is None:
        with_torch = importlib.util.find_spec("torch") is not None
    per = seconds / rounds
    out = {}
    for t in threads:
        children = {"nnviz": _Child("nnviz", t)}
        if with_torch:
            try:
                children["torch"] = _Child("torch", t)
            except RuntimeError as exc:
                print(f"PyTorch comparison failed: {exc}", file=sys.stderr)
        speeds = {label: {side: [] for side in children} for label, _, _ in TRAIN_CASES}
        try:
            for _ in range(rounds):
                for label, _, _ in TRAIN_CASES:
                    for side, child in children.items():
                        speeds[label][side].append(child.steps_per_second(label, per))
        finally:
            for child in children.values():
                child.close()
        row = {}
        for label, s in speeds.items():
            nn, tt = np.array(s["nnviz"]), np.array(s["torch"]) if "torch" in s else None
            row[label] = {"nnviz_ms": float(1000 / np.median(nn)),
                          "torch_ms": None if tt is None else float(1000 / np.median(tt)),
                          "ratio": None if tt is None else float(np.median(nn / tt))}
        out[str(t)] = row
    return out


_TORCH_SCRIPT = r"""
import json, sys, time
import numpy as np, torch
default_threads = torch.get_num_threads()  # before nnviz (which pins MKL/OpenBLAS to 1) loads
from nnviz.bench import CASES, CONV_CASES, CONV_LR, CONV_SPECS, _batches, _conv_batches, time_loop, torch_conv_model
seconds, threads, which = float(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
torch.set_num_threads(default_threads if threads == "default" else int(threads))
acts = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "linear": torch.nn.Identity}
out = {"threads": torch.get_num_threads(), "version": torch.__version__}

def dense_model(sizes, hidden):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(acts[hidden]())
    return torch.nn.Sequential(*layers)

def conv_model(spec):
    return torch_conv_model(spec, torch)

def trainer(model, lossf, xs, ys, lr):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    def step(i):
        opt.zero_grad()
        l = lossf(model(xs[i % 16]), ys[i % 16])
        l.backward()
        opt.step()
        return l.item()
    return step

if "dense" in which:
    out["dense"] = {}
    for label, sizes, hidden, batch, output, loss in CASES:
        lossf = torch.nn.MSELoss() if loss == "mse" else torch.nn.CrossEntropyLoss()
        xs, ys = _batches(sizes, batch, loss)
        step = trainer(dense_model(sizes, hidden), lossf, [torch.from_numpy(x) for x in xs],
                       [torch.from_numpy(y) for y in ys], 0.01)
        out["dense"][label] = batch * time_loop(step, seconds)
if "conv" in which:
    out["conv"] = {}
    for label, name, batch in CONV_CASES:
        spec = CONV_SPECS[name]
        xs, ys = _conv_batches(spec, batch)
        shape = (batch,) + tuple(spec["input_shape"])  # the same rows as nnviz's, as (B, C, H, W)
        step = trainer(conv_model(spec), torch.nn.CrossEntropyLoss(),
                       [torch.from_numpy(x.reshape(shape)) for x in xs], [torch.from_numpy(y) for y in ys], CONV_LR)
        out["conv"][label] = time_loop(step, seconds)
print(json.dumps(out))
"""

#: thread variables nnviz pins to 1 on import (nnviz/__init__.py); dropped for the default-threads child
_PINNED_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def torch_child(seconds=1.0, threads="1", which=("dense", "conv")) -> dict | None:
    """PyTorch CPU eager numbers from a child process, or None without torch (or on failure).

    threads: "1" (``torch.set_num_threads(1)``, like nnviz's one BLAS thread) or "default"
    (PyTorch's own choice, with nnviz's pinning dropped from the child's environment).
    Returns {"threads", "version", "dense": {label: samples/s}, "conv": {label: steps/s}}
    with the families asked for in ``which``.
    """
    if importlib.util.find_spec("torch") is None:
        return None
    env = dict(os.environ)
    if threads == "default":
        for var in _PINNED_THREAD_VARS:
            env.pop(var, None)
    proc = subprocess.run([sys.executable, "-c", _TORCH_SCRIPT, str(seconds), threads, ",".join(which)],
                          capture_output=True, text=True, timeout=900, env=env)
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


def run(seconds: float = 1.0, default_threads: bool = True) -> dict:
    """All headless benchmark numbers as one JSON-ready dict.

    default_threads: also time PyTorch's conv cases at its default thread count.
    """
    results = {"train_batch_samples_per_second": {}, "torch_samples_per_second": None, "ratio_vs_torch": None,
               "conv_steps_per_second": {}, "torch_conv_steps_per_second": None, "conv_ratio_vs_torch": None,
               "torch_version": None, "torch_threads": None, "torch_default_threads": None,
               "torch_conv_steps_per_second_default_threads": None, "conv_targets": CONV_TARGETS,
               "train_cases": None, "train_target": TRAIN_TARGET}
    for label, sizes, hidden, batch, output, loss in CASES:
        results["train_batch_samples_per_second"][label] = numpy_samples_per_second(
            sizes, hidden, batch, output, loss, seconds)
    results["conv_steps_per_second"] = conv_steps_per_second(seconds)
    results["train_cases"] = train_cases(seconds)
    results["timeline"] = {lesson: timeline_cost(lesson, seconds) for lesson in ("mnist", "digits")}
    torch = torch_child(seconds, "1")
    if torch:
        results["torch_version"] = torch["version"]
        results["torch_threads"] = torch["threads"]
        results["torch_samples_per_second"] = torch["dense"]
        results["ratio_vs_torch"] = {k: results["train_batch_samples_per_second"][k] / v
                                     for k, v in torch["dense"].items()}
        results["torch_conv_steps_per_second"] = torch["conv"]
        results["conv_ratio_vs_torch"] = {k: results["conv_steps_per_second"][k] / v
                                          for k, v in torch["conv"].items()}
        if default_threads:
            other = torch_child(seconds, "default", ("conv",))
            if other:
                results["torch_default_threads"] = other["threads"]
                results["torch_conv_steps_per_second_default_threads"] = other["conv"]
    return results


def _ms(steps_per_second) -> str:
    return f"{1000 / steps_per_second:.3f}" if steps_per_second else "—"


def _train_lines(results: dict) -> list[str]:
    cases = results.get("train_cases") or {}
    if not cases:
        return []
    goal = results.get("train_target")
    lines = [f"{'Trainer.train_batch':<26}{'threads':>8}{'nnviz ms':>10}{'torch ms':>10}{'ratio':>8}{'target':>11}"]
    for threads, row in cases.items():
        for label, r in row.items():
            ratio = r["ratio"]
            mark = "" if goal is None else f"≥{goal:g}×" + (
                "" if ratio is None else (" ok" if ratio >= goal else " MISS"))
            torch_ms = f"{r['torch_ms']:.3f}" if r["torch_ms"] else "—"
            lines.append(f"{label:<26}{threads:>8}{r['nnviz_ms']:>10.3f}{torch_ms:>10}"
                         f"{(f'{ratio:.2f}×' if ratio else '—'):>8}{mark:>11}")
    if any(r["ratio"] for row in cases.values() for r in row.values()):
        lines.append("(28×28 inputs, SGD, cross-entropy; nnviz and PyTorch each in a child process with its "
                     "BLAS / torch.set_num_threads at the same thread count, taking turns; medians of "
                     f"{TRAIN_ROUNDS} rounds, the ratio the median of the rounds' ratios)")
    else:
        lines.append("(PyTorch is not installed: no comparison column)")
    return lines


def format_table(results: dict) -> str:
    lines = [f"{'train_batch':<26}{'nnviz samples/s':>16}{'torch samples/s':>17}{'ratio':>8}"]
    torch = results.get("torch_samples_per_second") or {}
    for label, sps in results["train_batch_samples_per_second"].items():
        t = torch.get(label)
        lines.append(f"{label:<26}{sps:>16,.0f}{(f'{t:,.0f}' if t else '—'):>17}"
                     f"{(f'{sps / t:.2f}×' if t else '—'):>8}")
    if not torch:
        lines.append("(PyTorch is not installed: no comparison column)")
    conv = results.get("conv_steps_per_second") or {}
    tconv = results.get("torch_conv_steps_per_second") or {}
    tdef = results.get("torch_conv_steps_per_second_default_threads") or {}
    n_def = results.get("torch_default_threads")
    if conv:
        def_head = f"torch ms ({n_def} thr)" if tdef else ""
        lines.append(f"{'conv SGD step':<26}{'nnviz ms/step':>14}{'torch ms/step':>15}{'ratio':>8}"
                     f"{'target':>10}{def_head:>20}")
        targets = results.get("conv_targets") or {}
        for label, sps in conv.items():
            t, goal = tconv.get(label), targets.get(label)
            ratio = sps / t if t else None
            mark = "" if goal is None else f"≥{goal:g}×" + (
                "" if ratio is None else (" ok" if ratio >= goal else " MISS"))
            lines.append(f"{label:<26}{_ms(sps):>14}{_ms(t):>15}{(f'{ratio:.2f}×' if ratio else '—'):>8}"
                         f"{mark:>10}{(_ms(tdef.get(label)) if tdef else ''):>20}")
    if torch or tconv:
        lines.append(f"(ratio = nnviz speed ÷ PyTorch speed, measured in this run; PyTorch "
                     f"{results.get('torch_version') or ''} CPU eager in a child process with "
                     f"torch.set_num_threads({results.get('torch_threads')}) to match nnviz's one BLAS thread"
                     + (f"; the last column at PyTorch's default of {n_def} threads)" if tdef else ")"))
    elif conv:
        lines.append("(PyTorch is not installed: no comparison column)")
    lines.extend(_train_lines(results))
    for lesson, r in (results.get("timeline") or {}).items():
        lines.append(f"timeline on {lesson:<7} every state {r['on_iterations_per_second']:,.0f} it/s = "
                     f"{r['ratio']:.0%} of {r['off_iterations_per_second']:,.0f} off; every "
                     f"{r['checkpoint_every']}th (full speed) {r['checkpoints_ratio']:.0%}, then "
                     f"{r['fill_states']} states filled in {r['fill_ms']:.0f} ms; bound "
                     f"{r['capacity_states']:,} states × {r['state_bytes'] / 1024:.0f} KB = "
                     f"{r['bound_bytes'] / 2**20:.0f} MB")
    return "\n".join(lines)
