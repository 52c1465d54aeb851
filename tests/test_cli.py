"""The headless command line, run as a user would: in a subprocess."""

import json
import subprocess
import sys

import numpy as np
import pytest


def nnviz(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "nnviz", *args], capture_output=True, text=True, timeout=timeout)


def test_lessons_lists_all_five():
    out = nnviz("lessons")
    assert out.returncode == 0
    assert [line.split()[0] for line in out.stdout.splitlines()] == ["smile", "mnist", "digits", "conv",
                                                                    "mnist-conv"]


def test_lessons_verbose_says_what_a_kernel_and_a_feature_map_are():
    out = nnviz("lessons", "-v")
    assert out.returncode == 0
    conv = out.stdout.split("\nconv ")[1]
    assert "A kernel is a small grid of weights" in conv and "feature map" in conv
    assert "\nmnist-conv  Convolution on 28×28 digits" in out.stdout


@pytest.mark.slow
def test_train_conv_reaches_its_target_saves_and_evaluates(tmp_path):
    out = nnviz("train", "--lesson", "conv", "--json", "--save", str(tmp_path / "c.npz"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["epochs"] == 50 and result["iterations"] == 50 * 43 and result["test_accuracy"] >= 0.975
    ev = nnviz("evaluate", str(tmp_path / "c.npz"), "--data", "digits", "--json")
    assert ev.returncode == 0, ev.stderr
    assert json.loads(ev.stdout.strip().splitlines()[-1])["accuracy"] == pytest.approx(result["test_accuracy"])


@pytest.mark.slow
def test_train_mnist_conv_one_epoch_saves_a_conv_model_that_evaluates(tmp_path):
    out = nnviz("train", "--lesson", "mnist-conv", "--epochs", "1", "--json", "--save", str(tmp_path / "m.npz"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["test_accuracy"] > 0.8
    ev = nnviz("evaluate", str(tmp_path / "m.npz"), "--data", "mnist", "--json")
    got = json.loads(ev.stdout.strip().splitlines()[-1])
    assert got["n"] == 1000 and got["accuracy"] == pytest.approx(result["test_accuracy"])


@pytest.mark.slow
def test_train_save_writes_how_far_into_the_epoch_training_stood(tmp_path, monkeypatch):
    """As the app's Save does (TrainingSession.save_model): before, the CLI wrote no epoch
    fraction, so a model saved 50 iterations into an epoch reopened at the epoch's start."""
    from nnviz import cli
    from nnviz.model.files.modelfile import load_model
    from nnviz.model.lessons import Lesson

    build = Lesson.build

    def partway(self, *args, **kwargs):  # a trainer that stands inside an epoch when training ends
        t = build(self, *args, **kwargs)
        for _ in range(50):
            t.step()
        return t

    monkeypatch.setattr(Lesson, "build", partway)
    assert cli.main(["train", "--lesson", "digits", "--epochs", "0", "--json", "--save", str(tmp_path / "d.npz")]) == 0
    m = load_model(tmp_path / "d.npz")
    assert (m.iteration, m.epoch) == (50, 0) and m.epoch_fraction == pytest.approx(50 * 16 / 1347)


@pytest.mark.slow
def test_train_smile_reaches_the_whole_sample_and_saves(tmp_path):
    out = nnviz("train", "--lesson", "smile", "--json", "--save", str(tmp_path / "smile.npz"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["train_accuracy"] == 1.0
    for key in ("train_accuracy", "test_accuracy", "train_loss", "iterations", "epochs", "seconds"):
        assert key in result
    ev = nnviz("evaluate", str(tmp_path / "smile.npz"), "--data", "smile", "--json")
    assert ev.returncode == 0, ev.stderr
    got = json.loads(ev.stdout.strip().splitlines()[-1])
    assert got["n"] == 5 and got["accuracy"] == pytest.approx(result["test_accuracy"])


@pytest.mark.slow
def test_train_digits_one_epoch_then_evaluate_on_idx_files(tmp_path):
    from nnviz.model.data.idx import write_idx
    from nnviz.model.lessons import load_dataset

    out = nnviz("train", "--lesson", "digits", "--epochs", "3", "--seed", "1", "--json",
                "--save", str(tmp_path / "d.npz"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["epochs"] == 3 and result["test_accuracy"] > 0.5
    # the same test split written as MNIST-format IDX files (8×8, 0..255) must score the same
    ds = load_dataset("digits")
    folder = tmp_path / "idx"
    folder.mkdir()
    write_idx(folder / "t10k-images-idx3-ubyte", np.round(ds.x_test.reshape(-1, 8, 8) * 255).astype(np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte", ds.y_test.astype(np.uint8))
    ev = nnviz("evaluate", str(tmp_path / "d.npz"), "--data", str(folder), "--json")
    assert ev.returncode == 0, ev.stderr
    got = json.loads(ev.stdout.strip().splitlines()[-1])
    assert got["n"] == len(ds.x_test)
    assert got["accuracy"] == pytest.approx(result["test_accuracy"], abs=0.01)


def test_a_bad_model_file_is_one_line_and_exit_status_2(tmp_path):
    bad = tmp_path / "garbage.npz"
    bad.write_bytes(b"\x00" * 100)
    out = nnviz("evaluate", str(bad), "--data", "digits")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "garbage.npz" in out.stderr


def test_a_model_for_another_dataset_is_refused(tmp_path):
    assert nnviz("train", "--lesson", "smile", "--save", str(tmp_path / "s.npz")).returncode == 0
    out = nnviz("evaluate", str(tmp_path / "s.npz"), "--data", "digits")
    assert out.returncode == 2 and "12 inputs" in out.stderr


def test_unknown_lesson_is_a_clear_error():
    out = nnviz("train", "--lesson", "cats")
    assert out.returncode == 2 and "no lesson called 'cats'" in out.stderr


@pytest.mark.slow
def test_bench_prints_throughput_for_the_four_networks():
    out = nnviz("bench", "--json", "--seconds", "0.05")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    sps = result["train_batch_samples_per_second"]
    assert len(sps) == 4 and all(v > 0 for v in sps.values())
    train = result["train_cases"]["1"]  # the conv nets through Trainer.train_batch, one BLAS thread
    assert len(train) == 3 and all(r["nnviz_ms"] > 0 for r in train.values())


def test_the_app_without_a_display_says_how_to_run_it_in_one_sentence():
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "nnviz"], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 3
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "xvfb-run -a python -m nnviz" in lines[0] and "desktop session" in lines[0]
    assert "xcb" not in out.stderr and "Traceback" not in out.stderr


def test_display_problem_knows_which_platform_needs_which_display():
    from nnviz.cli import display_problem

    assert display_problem({}) is not None
    assert display_problem({"DISPLAY": ":0"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}) is not None  # wants Wayland
    assert display_problem({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}) is not None
    assert display_problem({}, platform="darwin") is None  # macOS and Windows always have a screen
