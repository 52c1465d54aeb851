"""Make the Keras test fixtures with Keras 3 on its PyTorch backend (run once; the outputs are committed).

    python -m venv /tmp/keras-venv && /tmp/keras-venv/bin/pip install keras torch h5py pillow
    KERAS_BACKEND=torch /tmp/keras-venv/bin/python -m nnviz.devtools.make_keras_fixtures [--out tests/fixtures/keras]

Trains small models on the shipped 8×8 digits (the lessons' train split, pixels in [0, 1]) and writes:

- ``mlp.keras``       Sequential: Input (8, 8) → Flatten → Dense 32 named "hidden" → ReLU layer → Dropout →
                      Dense 10 softmax (Keras 3's ``model.weights.h5`` keys it ``dense``, not "hidden");
- ``cnn.keras``       functional, channels-last: Conv2D 8@3×3 same relu → MaxPooling2D → Conv2D 16@3×3 relu
                      → Flatten of a 2×2×16 map → Dense 10 → Softmax layer;
- ``cnn_bn.keras``    Sequential: Conv2D 8@3×3 same (no bias) → BatchNormalization → LeakyReLU →
                      AveragePooling2D → Conv2D 16@3×3 → BatchNormalization → Activation relu →
                      Flatten → Dense 10 softmax;
- ``cnn_legacy.h5``   the CNN as ``model.save("x.h5")`` (the legacy HDF5 Keras 3 still writes);
- ``mlp_sigmoid.h5``  Sequential MLP, tanh hidden, Dense 10 sigmoid output (binary cross-entropy), legacy .h5;
- ``cnn.weights.h5``  the CNN's ``save_weights`` (Keras 3 layout: no architecture);
- ``cnn_weights_legacy.h5`` the CNN's weights as tf.keras's ``save_weights("x.h5")`` writes them
                      (``layer_names`` / ``weight_names`` at the root);

and, written with h5py following the real layouts (Keras 2.2's ``saving.py``, tf.keras's
``hdf5_format.py``, Keras 1's ``topology.py``) with trained weights:

- ``keras1_mlp.h5``     Keras 1: no version attribute, Sequential config as a list, ``output_dim``, weights
                        ``dense_1_W:0`` / ``dense_1_b:0``, Dropout ``p``, a final Activation softmax;
- ``keras1_cnn_th.h5``  Keras 1.2 with Theano ordering: ``Convolution2D`` (``nb_filter``, ``border_mode``,
                        ``dim_ordering: "th"``), kernels (out, in, rows, cols) flipped as Theano convolves,
                        backend "theano";
- ``keras22_cnn.h5``    Keras 2.2.4: no InputLayer (``batch_input_shape`` on the first Conv2D), names
                        ``conv2d_1/kernel:0``, name lists as fixed-length bytes;
- ``tfkeras24_mlp.h5``  tf.keras 2.4: a "Functional" model with ``inbound_nodes``, name lists as
                        variable-length strings.

``expected.npz``: per trained model (mlp, cnn, cnn_bn, mlp_sigmoid; the other files hold their weights)
``logits/<name>`` (the output layer before its softmax or sigmoid, as Keras computes it for the digits
test split) and ``accuracy/<name>`` (of ``model.predict``). Keras 1's MLP is the sigmoid model's weights
with a softmax head: the same logits, the same argmax.
This is the only place in nnviz that imports Keras.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

SEED = 0
EPOCHS = 30


def _models(keras):
    L = keras.layers

    def mlp():
        return keras.Sequential([keras.Input((8, 8)), L.Flatten(), L.Dense(32, name="hidden"), L.ReLU(),
                                 L.Dropout(0.1), L.Dense(10, activation="softmax")])

    def cnn():
        x = inp = keras.Input((8, 8, 1))
        x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        x = L.MaxPooling2D(2)(x)
        x = L.Conv2D(16, 3, activation="relu")(x)
        x = L.Flatten()(x)
        x = L.Dense(10)(x)
        return keras.Model(inp, L.Softmax()(x))

    def cnn_bn():
        return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(8, 3, padding="same", use_bias=False),
                                 L.BatchNormalization(), L.LeakyReLU(), L.AveragePooling2D(2), L.Conv2D(16, 3),
                                 L.BatchNormalization(), L.Activation("relu"), L.Flatten(),
                                 L.Dense(10, activation="softmax")])

    def mlp_sigmoid():
        return keras.Sequential([keras.Input((64,)), L.Dense(32, activation="tanh"),
                                 L.Dense(10, activation="sigmoid")])

    return {"mlp": mlp, "cnn": cnn, "cnn_bn": cnn_bn, "mlp_sigmoid": mlp_sigmoid}


def _x(name, x):
    """The digits rows as the model's input: (n, 64), (n, 8, 8) or channels-last (n, 8, 8, 1)."""
    return {"mlp": x.reshape(-1, 8, 8), "mlp_sigmoid": x}.get(name, x.reshape(-1, 8, 8, 1))


def _logits(keras, model, x):
    """The output layer's values before its softmax / sigmoid (a Softmax layer at the end is skipped)."""
    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return np.asarray(keras.Model(model.inputs, last.input).predict(x, verbose=0))
    saved, last.activation = last.activation, keras.activations.linear
    try:
        return np.asarray(model.predict(x, verbose=0))
    finally:
        last.activation = saved


def _copy(keras, model):
    """The model without its optimizer (an uncompiled clone, same weights): the files stay small."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


# --- the old layouts, written by hand ----------------------------------------------------------

def _names(h5py, values, fixed: bool):
    if fixed:  # h5py 2 and Keras ≤ 2.3 / tf.keras ≤ 2.4 on it: fixed-length byte strings
        return np.array([v.encode("utf8") for v in values])
    return np.array(values, dtype=h5py.string_dtype())  # h5py 3: variable-length UTF-8


def _write_legacy(h5py, path, config, layers, version, backend, fixed):
    """A legacy full-model .h5: ``layers`` is [(layer name, [(weight name, array)…])…] in model order."""
    with h5py.File(path, "w") as f:
        if version is not None:
            f.attrs["keras_version"] = version.encode("utf8")
        if backend is not None:
            f.attrs["backend"] = backend.encode("utf8")
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = _names(h5py, [n for n, _ in layers], fixed)
        if version is not None:
            g.attrs["keras_version"] = version.encode("utf8")
        if backend is not None:
            g.attrs["backend"] = backend.encode("utf8")
        for name, weights in layers:
            lg = g.create_group(name)
            lg.attrs["weight_names"] = _names(h5py, [w for w, _ in weights], fixed) if weights else np.array([])
            for w, a in weights:
                lg.create_dataset(w, data=a)


def _keras1_mlp(h5py, path, weights):
    (w1, b1), (w2, b2) = weights
    dense = lambda name, n, act, **kw: {"class_name": "Dense", "config": {  # noqa: E731
        "output_dim": n, "init": "glorot_uniform", "activation": act, "W_regularizer": None, "b_regularizer": None,
        "activity_regularizer": None, "W_constraint": None, "b_constraint": None, "bias": True, "name": name,
        "trainable": True, **kw}}
    config = {"class_name": "Sequential", "config": [
        dense("dense_1", 32, "tanh", input_dim=64, batch_input_shape=[None, 64], input_dtype="float32"),
        {"class_name": "Dropout", "config": {"p": 0.2, "name": "dropout_1", "trainable": True}},
        dense("dense_2", 10, "linear"),
        {"class_name": "Activation", "config": {"activation": "softmax", "name": "activation_1", "trainable": True}}]}
    layers = [("dense_1", [("dense_1_W:0", w1), ("dense_1_b:0", b1)]), ("dropout_1", []),
              ("dense_2", [("dense_2_W:0", w2), ("dense_2_b:0", b2)]), ("activation_1", [])]
    _write_legacy(h5py, path, config, layers, None, None, fixed=True)


def _keras1_cnn_th(h5py, path, weights):
    (k1, b1), (k2, b2), (w3, b3) = weights
    th = lambda k: np.ascontiguousarray(k.transpose(3, 2, 0, 1)[:, :, ::-1, ::-1])  # noqa: E731
    conv = lambda name, n, mode, **kw: {"class_name": "Convolution2D", "config": {  # noqa: E731
        "name": name, "trainable": True, "nb_filter": n, "nb_row": 3, "nb_col": 3, "init": "glorot_uniform",
        "activation": "relu", "border_mode": mode, "subsample": [1, 1], "dim_ordering": "th", "W_regularizer": None,
        "b_regularizer": None, "activity_regularizer": None, "W_constraint": None, "b_constraint": None,
        "bias": True, **kw}}
    # the flattened map is (C, H, W) in Theano ordering: the Dense rows from the channels-last model re-ordered
    w3_th = w3.reshape(2, 2, 16, 10).transpose(2, 0, 1, 3).reshape(64, 10)
    config = {"class_name": "Sequential", "config": [
        conv("convolution2d_1", 8, "same", batch_input_shape=[None, 1, 8, 8], input_dtype="float32"),
        {"class_name": "MaxPooling2D", "config": {"name": "maxpooling2d_1", "trainable": True, "pool_size": [2, 2],
                                                  "strides": [2, 2], "border_mode": "valid", "dim_ordering": "th"}},
        conv("convolution2d_2", 16, "valid"),
        {"class_name": "Flatten", "config": {"name": "flatten_1", "trainable": True}},
        {"class_name": "Dense", "config": {"name": "dense_1", "output_dim": 10, "activation": "softmax",
                                           "bias": True, "trainable": True, "input_dim": None}}]}
    layers = [("convolution2d_1", [("convolution2d_1_W", th(k1)), ("convolution2d_1_b", b1)]),
              ("maxpooling2d_1", []),
              ("convolution2d_2", [("convolution2d_2_W", th(k2)), ("convolution2d_2_b", b2)]),
              ("flatten_1", []), ("dense_1", [("dense_1_W", w3_th), ("dense_1_b", b3)])]
    _write_legacy(h5py, path, config, layers, "1.2.2", "theano", fixed=True)


def _keras22_cnn(h5py, path, weights):
    (k1, b1), (k2, b2), (w3, b3) = weights
    conv = lambda name, n, pad, **kw: {"class_name": "Conv2D", "config": {  # noqa: E731
        "name": name, "trainable": True, **kw, "filters": n, "kernel_size": [3, 3], "strides": [1, 1],
        "padding": pad, "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu",
        "use_bias": True, "kernel_initializer": {"class_name": "VarianceScaling", "config": {
            "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
        conv("conv2d_1", 8, "same", batch_input_shape=[None, 8, 8, 1], dtype="float32"),
        {"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d_1", "trainable": True, "pool_size": [2, 2],
                                                  "padding": "valid", "strides": [2, 2],
                                                  "data_format": "channels_last"}},
        conv("conv2d_2", 16, "valid"),
        {"class_name": "Flatten", "config": {"name": "flatten_1", "trainable": True, "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": "dense_1", "trainable": True, "units": 10,
                                           "activation": "softmax", "use_bias": True}}]}}
    layers = [("conv2d_1", [("conv2d_1/kernel:0", k1), ("conv2d_1/bias:0", b1)]), ("max_pooling2d_1", []),
              ("conv2d_2", [("conv2d_2/kernel:0", k2), ("conv2d_2/bias:0", b2)]), ("flatten_1", []),
              ("dense_1", [("dense_1/kernel:0", w3), ("dense_1/bias:0", b3)])]
    _write_legacy(h5py, path, config, layers, "2.2.4", "tensorflow", fixed=True)


def _tfkeras24_mlp(h5py, path, weights):
    (w1, b1), (w2, b2) = weights
    dense = lambda name, n, act, src: {"class_name": "Dense", "name": name, "inbound_nodes": [[[src, 0, 0, {}]]],  # noqa: E731
                                       "config": {"name": name, "trainable": True, "dtype": "float32", "units": n,
                                                  "activation": act, "use_bias": True}}
    config = {"class_name": "Functional", "config": {"name": "model", "layers": [
        {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 64], "dtype": "float32", "sparse": False, "ragged": False,
                    "name": "input_1"}},
        dense("dense", 32, "tanh", "input_1"), dense("dense_1", 10, "sigmoid", "dense")],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_1", 0, 0]]}}
    layers = [("input_1", []), ("dense", [("dense/kernel:0", w1), ("dense/bias:0", b1)]),
              ("dense_1", [("dense_1/kernel:0", w2), ("dense_1/bias:0", b2)])]
    _write_legacy(h5py, path, config, layers, "2.4.0", "tensorflow", fixed=False)


def main(argv=None) -> int:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    from nnviz.model.lessons import load_dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures/keras"))
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset("digits")
    expected, trained = {}, {}
    for name, make in _models(keras).items():
        keras.utils.set_random_seed(SEED)
        model = make()
        sigmoid = name == "mlp_sigmoid"
        model.compile(optimizer=keras.optimizers.Adam(0.005),
                      loss="binary_crossentropy" if sigmoid else "sparse_categorical_crossentropy")
        y = np.eye(10, dtype=np.float32)[data.y_train] if sigmoid else data.y_train
        model.fit(_x(name, data.x_train), y, epochs=EPOCHS, batch_size=32, verbose=0, shuffle=True)
        model = trained[name] = _copy(keras, model)
        x = _x(name, data.x_test)
        expected[f"logits/{name}"] = _logits(keras, model, x).astype(np.float32)
        acc = float((np.asarray(model.predict(x, verbose=0)).argmax(1) == data.y_test).mean())
        expected[f"accuracy/{name}"] = np.array(acc)
        print(f"{name}: Keras test accuracy {acc:.4f}")

    trained["mlp"].save(out / "mlp.keras")
    trained["cnn"].save(out / "cnn.keras")
    trained["cnn_bn"].save(out / "cnn_bn.keras")
    cnn_seq = keras.Sequential([keras.Input((8, 8, 1))] + [layer for layer in trained["cnn"].layers[1:-1]])
    cnn_seq.save(out / "cnn_legacy.h5", include_optimizer=False)
    trained["mlp_sigmoid"].save(out / "mlp_sigmoid.h5", include_optimizer=False)
    trained["cnn"].save_weights(out / "cnn.weights.h5")
    with h5py.File(out / "cnn_weights_legacy.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, cnn_seq)

    cnn_w = [layer.get_weights() for layer in trained["cnn"].layers if layer.get_weights()]
    sig_w = [layer.get_weights() for layer in trained["mlp_sigmoid"].layers if layer.get_weights()]
    _keras1_cnn_th(h5py, out / "keras1_cnn_th.h5", cnn_w)
    _keras22_cnn(h5py, out / "keras22_cnn.h5", cnn_w)
    _tfkeras24_mlp(h5py, out / "tfkeras24_mlp.h5", sig_w)
    # Keras 1's MLP: the sigmoid model's tanh hidden layer with a softmax head (same weights, other output)
    _keras1_mlp(h5py, out / "keras1_mlp.h5", sig_w)
    np.savez_compressed(out / "expected.npz", **expected)

    for f in sorted(out.iterdir()):
        print(f"{f.name}: {f.stat().st_size:,} bytes")
        assert f.stat().st_size < 100_000, f
    # the legacy files open in Keras again (Keras 3's loader reads what it wrote)
    back = keras.models.load_model(out / "cnn_legacy.h5", compile=False)
    assert np.allclose(back.predict(_x("cnn", data.x_test), verbose=0), expected["logits/cnn"], atol=1e-5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
