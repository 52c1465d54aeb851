"""The ``nnviz`` command: no arguments opens the app; subcommands work headless."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .model.errors import NNVizError

EXIT_BAD_INPUT = 2
EXIT_NO_DISPLAY = 3


def _cmd_lessons(args) -> int:
    from .model.lessons import LESSONS

    width = max(8, max(len(name) for name in LESSONS) + 2)
    for lesson in LESSONS.values():
        print(f"{lesson.name:<{width}}{lesson.title}")
        if args.verbose:
            print(f"{'':<{width}}{lesson.description}\n")
    return 0


def _progress(text: str, final: bool = False) -> None:
    # On a terminal, one line redrawn in place; in a log, a line per epoch.
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text + ("\n" if final else ""))
    else:
        sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _cmd_train(args) -> int:
    from .model.lessons import get_lesson
    from .model.files.modelfile import SavedModel, save_model

    lesson = get_lesson(args.lesson)
    trainer = lesson.build(seed=args.seed)
    epochs = lesson.epochs if args.epochs is None else args.epochs
    start = time.perf_counter()
    while trainer.epoch < epochs:
        epoch = trainer.epoch
        while trainer.epoch == epoch:
            trainer.step()
        if not args.json or sys.stderr.isatty():
            _, acc = trainer.evaluate("test")
            _progress(f"epoch {trainer.epoch}/{epochs}  iteration {trainer.iteration}  "
                      f"loss {trainer.last_loss:.4f}  test accuracy {acc:.1%}", final=trainer.epoch == epochs)
    seconds = time.perf_counter() - start
    train_loss, train_acc = trainer.evaluate("train")
    test_loss, test_acc = trainer.evaluate("test")
    result = {"lesson": lesson.name, "train_accuracy": train_acc, "test_accuracy": test_acc,
              "train_loss": train_loss, "test_loss": test_loss, "iterations": trainer.iteration,
              "epochs": trainer.epoch, "seconds": round(seconds, 3), "seed": trainer.seed}
    if args.save:
        # as the app's Save: with the epoch's progress, so it reopens at e.g. epoch 533.86, not 533.00
        save_model(args.save, SavedModel.of_trainer(trainer, lesson.name))
        result["saved"] = str(args.save)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{lesson.name}: train accuracy {train_acc:.1%}, test accuracy {test_acc:.1%}, "
              f"train loss {train_loss:.4f} after {trainer.iteration} iterations "
              f"({trainer.epoch} epochs) in {seconds:.1f} s")
        if args.save:
            print(f"saved to {args.save}")
    return 0


def _completion(args, file=None) -> dict:
    """``activation`` / ``spec`` for a foreign model file (``args.file``, or ``file``: the app's
    ``--model``) from ``--activation`` / ``--spec FILE``."""
    from .model.errors import SettingsError
    from .model.files.foreign import is_foreign

    file = args.file if file is None else file
    if (args.activation or args.spec) and not is_foreign(file):
        raise SettingsError("--activation and --spec are for PyTorch (.pt, .pth), .safetensors and .onnx "
                            f"files; {file} is an nnviz model file, which carries its own architecture")
    spec = None
    if args.spec:
        from .model.files.foreign.spec_inference import read_spec_file

        spec = read_spec_file(args.spec)
    return {"activation": args.activation, "spec": spec}


def _numbers(text: str, flag: str) -> list[float]:
    from .model.errors import SettingsError

    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise SettingsError(f"{flag} takes numbers separated by commas, like 0.1307,0.3081; got {text!r}") from None
    return values


def transform_changes(normalize: str | None, input_scale: float | None) -> dict | None:
    """The input-transform entries ``--normalize MEAN,STD`` (per channel: the C means, then the C
    standard deviations) and ``--input-scale S`` give, or None when neither is given."""
    from .model.errors import SettingsError

    changes = {}
    if input_scale is not None:
        changes["scale"] = float(input_scale)
    if normalize is not None:
        values = _numbers(normalize, "--normalize")
        if len(values) % 2:
            raise SettingsError(f"--normalize takes MEAN,STD (per channel: the means, then the standard "
                                f"deviations), an even count of numbers; got {len(values)}")
        half = len(values) // 2
        changes.update(mean=values[:half], std=values[half:])
    return changes or None


def _transform(args) -> dict | None:
    return transform_changes(args.normalize, args.input_scale)


def _cmd_evaluate(args) -> int:
    from .model.analysis.evaluate import evaluate_file

    result = evaluate_file(args.file, args.data, **_completion(args), input_transform=_transform(args))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"accuracy {result['accuracy']:.2%} on {result['n']} images of {result['data']}")
    return 0


def _cmd_convert(args) -> int:
    from .model.files.foreign import is_foreign, load_foreign
    from .model.files.modelfile import load_model, save_model

    from .model.core.networks import with_input_transform

    saved = load_foreign(args.file, **_completion(args)) if is_foreign(args.file) else load_model(args.file)
    saved.network = with_input_transform(saved.network, _transform(args))
    suffix = args.output.suffix.lower()
    if suffix == ".safetensors":
        from .model.files.foreign.safetensors_file import save_safetensors

        save_safetensors(args.output, saved.network, saved.lesson)
    elif suffix == ".onnx":
        from .model.files.foreign.onnx_file import save_onnx

        save_onnx(args.output, saved.network)
    elif suffix == ".npz":
        save_model(args.output, saved)
    else:
        from .model.errors import SettingsError

        raise SettingsError(f"nnviz writes .npz, .safetensors and .onnx model files, not {suffix or 'no suffix'!r}")
    print(f"wrote {args.output} ({saved.network.spec['input_shape']} input, lesson {saved.lesson or 'none'})")
    return 0


def _cmd_bench(args) -> int:
    if args.soak:
        from .qt.soak_bench import run_soak

        result = run_soak(args.soak, args.soak_lesson, batch_size=args.soak_batch)
        if args.json:
            print(json.dumps(result))
        return 0
    if args.startup:
        from .startup_bench import format_startup, run_startup

        result = run_startup(runs=args.runs)
        print(format_startup(result))
        if args.json:
            print(json.dumps(result))
        return 0
    if args.gui:
        from .qt.bench_gui import run_gui_bench

        result = run_gui_bench(seconds=args.seconds)
        print(json.dumps(result) if args.json else result.pop("_table"))
        return 0
    from .bench import format_table, run

    result = run(args.seconds)
    print(format_table(result))
    if args.json:
        print(json.dumps(result))
    return 0


def _cmd_screenshot(args) -> int:
    from .qt.screenshot import save_screenshot

    print(save_screenshot(args.output, lesson=args.lesson, iterations=args.iterations))
    return 0


def _invocation() -> str:
    """How the learner started nnviz, to repeat it in advice (``.venv/bin/nnviz``, ``python -m nnviz``)."""
    prog = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if Path(prog).name != "nnviz":
        return "python -m nnviz"
    try:
        rel = os.path.relpath(prog)
    except ValueError:
        rel = prog
    return rel if not rel.startswith("..") else prog


def display_problem(env=None, platform: str = sys.platform) -> str | None:
    """One sentence saying why no window can open here, or None. Qt's own text for this is an
    abort about the "xcb" plugin, which tells a learner nothing."""
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "")
    x11, wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    wanted = qpa.split(":")[0].split(";")[0]
    if wanted in ("", "xcb", "wayland") and not (x11 if wanted == "xcb" else wayland if wanted == "wayland"
                                                 else x11 or wayland):
        return ("nnviz opens a window, but no display was found (DISPLAY and WAYLAND_DISPLAY are not set): "
                "run it from a terminal in your desktop session, or on a machine without a screen "
                f"under a virtual one with `xvfb-run -a {_invocation()}`.")
    return None


def _cmd_app(args) -> int:
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    try:
        from .qt.app import main
    except ImportError as e:
        if "cannot open shared object file" not in str(e):
            raise
        # a system library Qt links to is missing: say which, and where the list lives
        print(f"nnviz: Qt could not load a system library ({e}); install the packages listed in "
              f"the README's first command (sudo apt-get install ...).", file=sys.stderr)
        return EXIT_NO_DISPLAY
    if (args.activation or args.spec) and args.model is None:
        from .model.errors import SettingsError

        raise SettingsError("--activation and --spec say what a --model file from PyTorch does not: give --model")
    transform = _transform(args)
    if transform and args.model is None:
        from .model.errors import SettingsError

        raise SettingsError("--normalize and --input-scale say how a --model file's input was scaled: give --model")
    answers = _completion(args, args.model) if args.model is not None else {}  # a bad spec file: said here
    if transform:
        answers["input_transform"] = transform
    return main(lesson=args.lesson, model=args.model, quit_after=args.quit_after, **answers)


_MODEL_HELP = ("a model file: nnviz's .npz, a PyTorch state_dict (.pt, .pth), .safetensors, or .onnx "
               "(needs nnviz[onnx])")


def _completion_args(s) -> None:
    s.add_argument("--activation", metavar="NAME",
                   help="hidden activation of a dense state_dict: relu, sigmoid, tanh, linear, leaky_relu, "
                        "elu, gelu or silu")
    s.add_argument("--spec", type=Path, metavar="FILE",
                   help="the network's spec (JSON) for a state_dict with convolution layers")
    s.add_argument("--normalize", metavar="MEAN,STD",
                   help="the model was trained on (x - MEAN) / STD, e.g. MNIST's 0.1307,0.3081 (per channel: "
                        "the means, then the standard deviations)")
    s.add_argument("--input-scale", type=float, metavar="S",
                   help="the model was trained on pixels times S before --normalize, e.g. 255 for raw 0-255")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nnviz", description="See a neural network learn. "
                                "With no command, opens the desktop app.")
    p.add_argument("--lesson", help="open the app on this lesson (see `nnviz lessons`)")
    p.add_argument("--model", type=Path, help="open the app with this model file (" + _MODEL_HELP + ")")
    _completion_args(p)  # so a state_dict opens with no questions
    p.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_app)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("lessons", help="list the built-in lessons")
    s.add_argument("-v", "--verbose", action="store_true", help="show each lesson's description")
    s.set_defaults(func=_cmd_lessons)

    s = sub.add_parser("train", help="train a lesson headless")
    s.add_argument("--lesson", required=True, help="smile, mnist, digits, conv or mnist-conv")
    s.add_argument("--epochs", type=int, help="epochs to train (default: the lesson's)")
    s.add_argument("--seed", type=int, help="random seed (default: the lesson's)")
    s.add_argument("--save", type=Path, help="write the trained model to this .npz file")
    s.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    s.set_defaults(func=_cmd_train)

    s = sub.add_parser("evaluate", help="evaluate a saved model")
    s.add_argument("file", type=Path, help=_MODEL_HELP)
    s.add_argument("--data", required=True, help="a folder of MNIST-format IDX files, or smile/digits/mnist")
    s.add_argument("--json", action="store_true", help='print {"accuracy": ..., "n": ...} on the last line')
    _completion_args(s)
    s.set_defaults(func=_cmd_evaluate)

    s = sub.add_parser("convert", help="convert a model file (to .npz, .safetensors or .onnx)")
    s.add_argument("file", type=Path, help=_MODEL_HELP)
    s.add_argument("output", type=Path, help="the file to write; its suffix says the format")
    _completion_args(s)
    s.set_defaults(func=_cmd_convert)

    s = sub.add_parser("bench", help="measure training speed (and the app's, with --gui)")
    s.add_argument("--json", action="store_true", help="print the numbers as JSON on the last line")
    s.add_argument("--gui", action="store_true", help="benchmark the desktop app offscreen")
    s.add_argument("--startup", action="store_true",
                   help="time from launching the app to its first painted window and first lesson frame")
    s.add_argument("--runs", type=int, default=5, help="launches per lesson with --startup")
    s.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    s.add_argument("--soak", type=int, metavar="N", default=0,
                   help="leave the app training for N iterations and print its memory on the way")
    s.add_argument("--soak-lesson", default="mnist", help="the lesson --soak trains (default mnist)")
    s.add_argument("--soak-batch", type=int, default=0, metavar="B",
                   help="the batch size --soak trains at (default the lesson's; 1 reaches N iterations soonest)")
    s.set_defaults(func=_cmd_bench)

    s = sub.add_parser("screenshot", help="save a PNG of the app window (offscreen)")
    s.add_argument("output", type=Path)
    s.add_argument("--lesson", default="mnist")
    s.add_argument("--iterations", type=int, default=300, help="train this many iterations first")
    s.set_defaults(func=_cmd_screenshot)
    return p


def main(argv: list[str] | None = None) -> int:
    if os.environ.get("NNVIZ_STARTUP_REPORT"):
        from .qt.startup import mark

        mark("python_ready")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except NNVizError as e:
        print(f"nnviz: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
