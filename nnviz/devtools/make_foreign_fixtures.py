"""Make the foreign-format test fixtures with PyTorch (run once; the outputs are committed).

    pip install torch safetensors onnx onnxscript   # only for this script: nnviz never needs torch
    python -m nnviz.devtools.make_foreign_fixtures [--out tests/fixtures/foreign]

Trains, on the shipped 8×8 digits (the lessons' train split), the digits lesson's MLP
(64 → 128 → 32 → 10, ReLU) and the ``conv`` lesson's CNN (conv 8@3×3 padding 1, ReLU →
maxpool 2 → flatten → dense 10) as plain ``nn.Sequential`` models, and writes each as

- ``<name>.pt``           ``torch.save(model.state_dict(), path)`` (the zip format),
- ``<name>.safetensors``  ``safetensors.torch.save_file(model.state_dict(), path)``,
- ``<name>.onnx``         ``torch.onnx.export`` (dynamic batch axis),

plus reduced-precision copies (``mlp_fp16.pt``: float16 tensors, ``cnn_bf16.safetensors``:
bfloat16), a legacy-format file (``legacy.pt``, ``_use_new_zipfile_serialization=False``) and
a whole pickled module (``module.pt``, ``torch.save(model)``) that nnviz must refuse, and
``expected.npz``: for each model the logits PyTorch computes for the digits test split
(``logits/<name>``; the reduced-precision ones from the rounded weights, in float32) and
``accuracy/<name>``. It then checks the other direction: nnviz's ``save_safetensors`` of each
model loads into the same ``nn.Sequential`` with ``load_state_dict`` (strict) and gives the
same logits.

This is the only place in nnviz that imports torch.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

SEED = 0
EPOCHS = {"mlp": 40, "cnn": 40}
#: the CNN's spec, as ``nnviz evaluate cnn.pt --spec cnn_spec.json`` takes it
CNN_SPEC = {"input_shape": [1, 8, 8], "layers": [
    {"type": "conv", "filters": 8, "kernel": 3, "stride": 1, "padding": 1, "activation": "relu"},
    {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}],
    "output": "softmax", "bias": True}


def _models(torch):
    nn = torch.nn
    return {
        "mlp": lambda: nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU(),
                                     nn.Linear(32, 10)),
        "cnn": lambda: nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                     nn.Linear(128, 10)),
    }


def _inputs(torch, name, x):
    t = torch.from_numpy(x)
    return t.reshape(-1, 1, 8, 8) if name == "cnn" else t


def _train(torch, name, model, x, y):
    torch.manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = _inputs(torch, name, x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS[name]):
        order = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
    return model.eval()


def _own_package_model(torch):
    """A model class from the author's own package, as ``from models import Net`` makes it: torch.save(model)
    pickles it by reference to ``models.Net`` (a module made here, so the script needs no such package)."""
    import sys
    import types

    nn = torch.nn
    models = types.ModuleType("models")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(4, 3), nn.Linear(3, 2)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    Net.__module__, Net.__qualname__ = "models", "Net"
    models.Net = Net
    sys.modules["models"] = models
    return Net()


def _add_expected(out: Path, new: dict) -> None:
    """expected.npz with ``new``'s keys added (or replaced), the others kept as they are."""
    path = out / "expected.npz"
    with np.load(path) as z:
        merged = {k: z[k] for k in z.files}
    merged.update(new)
    np.savez_compressed(path, **merged)


def _later_fixtures(torch, out: Path, data) -> dict:
    """The fixtures added for files as people publish them, made from the committed ones where they can be
    (so the originals are not trained again): the digits MLP and CNN in the legacy format
    (``mlp_legacy.pt``, ``cnn_legacy.pt``; their logits are ``logits/mlp``, ``logits/cnn``), and whole pickled models of the author's own class ``models.Net``
    in both formats (``models_net.pt``, ``models_net_legacy.pt``), which nnviz must refuse as whole models."""
    mlp = _models(torch)["mlp"]()
    mlp.load_state_dict(torch.load(out / "mlp.pt"))
    torch.save(mlp.state_dict(), out / "mlp_legacy.pt", _use_new_zipfile_serialization=False)
    cnn = _models(torch)["cnn"]()
    cnn.load_state_dict(torch.load(out / "cnn.pt"))
    torch.save(cnn.state_dict(), out / "cnn_legacy.pt", _use_new_zipfile_serialization=False)
    net = _own_package_model(torch)
    torch.save(net, out / "models_net.pt")
    torch.save(net, out / "models_net_legacy.pt", _use_new_zipfile_serialization=False)
    return {}


def main(argv=None) -> int:
    import torch
    from safetensors.torch import load_file, save_file

    from nnviz.model.files.foreign import load_foreign
    from nnviz.model.files.foreign.safetensors_file import save_safetensors
    from nnviz.model.lessons import load_dataset

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("tests/fixtures/foreign"))
    p.add_argument("--later-only", action="store_true",
                   help="make only the fixtures added later, from the committed originals (not trained again)")
    args = p.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    data = load_dataset("digits")
    if args.later_only:
        _later_fixtures(torch, out, data)
        return 0
    expected = {}
    report = {}

    def record(key, model, name):
        with torch.no_grad():
            logits = model(_inputs(torch, name, data.x_test)).numpy().astype(np.float32)
        expected[f"logits/{key}"] = logits
        acc = float((logits.argmax(1) == data.y_test).mean())
        expected[f"accuracy/{key}"] = np.array(acc)
        report[key] = acc

    for name, make in _models(torch).items():
        torch.manual_seed(SEED)
        model = _train(torch, name, make(), data.x_train, data.y_train)
        sd = model.state_dict()
        torch.save(sd, out / f"{name}.pt")
        save_file({k: v.contiguous() for k, v in sd.items()}, str(out / f"{name}.safetensors"))
        example = _inputs(torch, name, data.x_test[:2])
        torch.onnx.export(model, (example,), str(out / f"{name}.onnx"), input_names=["x"], output_names=["logits"],
                          dynamic_shapes=({0: torch.export.Dim("batch")},), external_data=False)
        record(name, model, name)
        # nnviz -> PyTorch: nnviz's export loads into the same Sequential, strictly
        saved = load_foreign(out / f"{name}.pt", activation="relu", spec=None if name == "mlp" else CNN_SPEC)
        back = out / f"_{name}_roundtrip.safetensors"
        save_safetensors(back, saved.network)
        other = make()
        other.load_state_dict(load_file(str(back)), strict=True)
        with torch.no_grad():
            diff = (other(_inputs(torch, name, data.x_test)) - model(_inputs(torch, name, data.x_test))).abs().max()
        back.unlink()
        report[f"{name} nnviz->torch max logit diff"] = float(diff)

    # reduced precision: the rounded weights, logits computed in float32
    models = _models(torch)
    mlp = models["mlp"]()
    mlp.load_state_dict(torch.load(out / "mlp.pt"))
    half = {k: v.half() for k, v in mlp.state_dict().items()}
    torch.save(half, out / "mlp_fp16.pt")
    mlp.load_state_dict({k: v.float() for k, v in half.items()})
    record("mlp_fp16", mlp.eval(), "mlp")
    cnn = models["cnn"]()
    cnn.load_state_dict(torch.load(out / "cnn.pt"))
    bf = {k: v.bfloat16().contiguous() for k, v in cnn.state_dict().items()}
    save_file(bf, str(out / "cnn_bf16.safetensors"))
    cnn.load_state_dict({k: v.float() for k, v in bf.items()})
    record("cnn_bf16", cnn.eval(), "cnn")

    # files nnviz must refuse, as PyTorch writes them
    tiny = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    torch.save(tiny.state_dict(), out / "legacy.pt", _use_new_zipfile_serialization=False)
    torch.save(tiny, out / "module.pt")

    (out / "cnn_spec.json").write_text(json.dumps(CNN_SPEC, indent=1) + "\n")
    np.savez_compressed(out / "expected.npz", **expected)
    _later_fixtures(torch, out, data)
    print(json.dumps(report, indent=1))
    for f in sorted(out.iterdir()):
        print(f"{f.name:24} {f.stat().st_size:>8,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
