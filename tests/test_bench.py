"""`nnviz bench`'s convolution cases, without PyTorch: they run, they are the lessons' nets,
and the table reports them in ms per step (with the comparison columns when there is one)."""

import math
import time

import pytest

from nnviz import bench
from nnviz.model.core.layer_network import LayerNetwork
from nnviz.model.core.networks import build_network

LABELS = ["conv 8×8 b32", "conv 8×8 b64", "mnist-conv 28×28 b32", "mnist-conv 28×28 b64"]


def test_conv_cases_are_the_two_lessons_nets_at_batch_32_and_64():
    assert [label for label, _, _ in bench.CONV_CASES] == LABELS
    assert [batch for _, _, batch in bench.CONV_CASES] == [32, 64, 32, 64]
    small, mnist = (build_network(bench.CONV_SPECS[name]) for name in ("conv 8×8", "mnist-conv 28×28"))
    assert isinstance(small, LayerNetwork) and isinstance(mnist, LayerNetwork)
    assert small.n_parameters == 1370
    assert [w.shape for w in mnist.weights] == [(8, 1, 5, 5), (16, 8, 5, 5), (10, 256)]
    assert mnist.n_parameters == 5994
    assert set(bench.CONV_TARGETS) <= set(LABELS)


def test_conv_cases_run_and_report_positive_speeds():
    start = time.perf_counter()
    speeds = bench.conv_steps_per_second(seconds=0.01)  # the warm-up plus one block of 50 steps each
    elapsed = time.perf_counter() - start
    assert list(speeds) == LABELS
    assert all(math.isfinite(v) and v > 0 for v in speeds.values()), speeds
    print(f"conv cases: {', '.join(f'{k} {1000 / v:.2f} ms' for k, v in speeds.items())} ({elapsed:.1f} s)")


def test_the_sgd_step_the_bench_times_trains_the_net():
    spec = bench.CONV_SPECS["conv 8×8"]
    net = build_network(spec, seed=0)
    xs, ys = bench._conv_batches(spec, 32)
    before = net.loss(xs[0], ys[0])
    for _ in range(30):  # the bench's step: gradients, then w -= lr·dw in place
        _, dW, db = net.gradients(xs[0], ys[0], "cross_entropy")
        for p, g in zip(net.weights + net.biases, dW + db):
            p -= net.dtype.type(0.1) * g
    assert net.loss(xs[0], ys[0]) < before


def _results(torch_conv=None, default=None):
    conv = {label: 1000.0 / (i + 1) for i, label in enumerate(LABELS)}  # 1, 2, 3, 4 ms a step
    return {"train_batch_samples_per_second": {"12-1 linear b4": 1000.0},
            "torch_samples_per_second": {"12-1 linear b4": 500.0} if torch_conv else None,
            "conv_steps_per_second": conv, "torch_conv_steps_per_second": torch_conv,
            "torch_conv_steps_per_second_default_threads": default,
            "torch_threads": 1 if torch_conv else None, "torch_default_threads": 2 if default else None,
            "torch_version": "2.x" if torch_conv else None, "conv_targets": bench.CONV_TARGETS, "timeline": {}}


def test_the_table_shows_ms_per_step_without_torch():
    table = bench.format_table(_results())
    rows = {line.split("  ")[0]: line for line in table.splitlines()}
    assert "nnviz ms/step" in table and "torch ms/step" in table
    assert "1.000" in rows["conv 8×8 b32"] and "4.000" in rows["mnist-conv 28×28 b64"]
    assert "PyTorch is not installed" in table


def test_the_table_shows_the_ratio_the_targets_and_the_thread_counts_with_torch():
    torch = {label: 1000.0 / 2.0 for label in LABELS}  # PyTorch 2 ms a step everywhere
    default = {label: 1000.0 / 5.0 for label in LABELS}
    table = bench.format_table(_results(torch, default))
    rows = {line.split("  ")[0]: line for line in table.splitlines()}
    assert "2.00×" in rows["conv 8×8 b32"] and "≥1.5× ok" in rows["conv 8×8 b32"]  # 1 ms vs 2 ms
    assert "0.50×" in rows["mnist-conv 28×28 b64"] and "≥0.5× ok" in rows["mnist-conv 28×28 b64"]
    assert "5.000" in rows["conv 8×8 b64"]  # the default-threads column
    assert "torch.set_num_threads(1)" in table and "default of 2 threads" in table
    assert "not installed" not in table
    slow = bench.format_table(_results({label: 1000.0 / 1.2 for label in LABELS}))
    assert "MISS" in slow.splitlines()[[l.startswith("conv 8×8 b32") for l in slow.splitlines()].index(True)]


TRAIN_LABELS = ["mnist-conv b64", "LeNet-5 b64", "32-64 3×3 → 128 b64"]


def test_train_cases_are_the_lessons_net_lenet5_and_the_32_64_net_at_batch_64():
    from nnviz.model.lessons import MNIST_CONV_SPEC

    assert [label for label, _, _ in bench.TRAIN_CASES] == TRAIN_LABELS
    assert all(batch == 64 for _, _, batch in bench.TRAIN_CASES)
    assert bench.TRAIN_SPECS["mnist-conv"] == MNIST_CONV_SPEC
    lenet, wide = (build_network(bench.TRAIN_SPECS[name]) for name in ("LeNet-5", "32-64 3×3 → 128"))
    assert [w.shape for w in lenet.weights] == [(6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (84, 120), (10, 84)]
    assert lenet.shapes[1] == (6, 28, 28) and lenet.n_parameters == 61706
    assert [w.shape for w in wide.weights] == [(32, 1, 3, 3), (64, 32, 3, 3), (128, 3136), (10, 128)]
    assert wide.n_parameters == 421642


@pytest.mark.slow
def test_train_cases_time_trainer_train_batch_in_a_child_without_torch():
    result = bench.train_cases(seconds=0.01, threads=[1], with_torch=False, rounds=1)
    assert list(result) == ["1"] and list(result["1"]) == TRAIN_LABELS
    for r in result["1"].values():
        assert math.isfinite(r["nnviz_ms"]) and r["nnviz_ms"] > 0
        assert r["torch_ms"] is None and r["ratio"] is None


def _train_results(ratio_of_threads):
    cases = {threads: {label: {"nnviz_ms": 2.0, "torch_ms": 2.0 * ratio if ratio else None, "ratio": ratio}
                       for label in TRAIN_LABELS} for threads, ratio in ratio_of_threads.items()}
    return dict(_results(), train_cases=cases, train_target=bench.TRAIN_TARGET)


def test_the_table_shows_both_sides_and_the_ratio_per_thread_count():
    table = bench.format_table(_train_results({"1": 1.5, "2": 1.1}))
    rows = [line for line in table.splitlines() if line.startswith("LeNet-5 b64")]
    assert len(rows) == 2
    one, two = (row.split() for row in rows)
    assert one[2:] == ["1", "2.000", "3.000", "1.50×", "≥1.2×", "ok"]
    assert two[2:] == ["2", "2.000", "2.200", "1.10×", "≥1.2×", "MISS"]
    assert "same thread count" in table


def test_the_train_rows_say_so_without_torch():
    table = bench.format_table(_train_results({"1": None}))
    lines = table.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("mnist-conv b64"))
    assert lines[first].split()[2:5] == ["1", "2.000", "—"]
    assert "PyTorch is not installed" in lines[first + len(TRAIN_LABELS)]
