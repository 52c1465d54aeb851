"""The built-in lessons: dataset + architecture + training method + settings + words.

The first three are MLPs of ``hidden_sizes``; the convolution lessons give a layer-stack
``spec`` instead (``core.networks.build_network``, format in ``core/layers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache


from .data.bundled import load_bundled
from .data.datasets import Dataset, images_to_dataset, smile
from .errors import SettingsError
from .core.network import Network
from .core.networks import build_network
from .core.settings import TrainSettings
from .core.trainer import Trainer

@dataclass(frozen=True)
class Lesson:
    """A preset a learner picks from the lesson menu."""

    name: str
    title: str
    description: str
    dataset: str  # "smile", "digits" or "mnist"
    hidden_sizes: tuple[int, ...]
    hidden: str
    output: str
    bias: bool
    init: str
    settings: TrainSettings
    epochs: int  # what `nnviz train` runs by default
    seed: int = 0
    source: str = ""
    speed: float = 0.0  # iterations per second Run starts at (0: as fast as possible)
    notes: dict = field(default_factory=dict)
    spec: dict | None = None  # a layer stack (conv lessons); None: an MLP of hidden_sizes

    def sizes(self, data: Dataset) -> list[int]:
        """Layer widths of the lesson's own network, input first (flat sizes for a layer stack)."""
        if self.spec is not None:
            return list(build_network(self.spec).sizes)
        return [data.n_inputs, *self.hidden_sizes, data.n_outputs]

    def build(self, seed: int | None = None, hidden_sizes=None, hidden: str | None = None,
              data: Dataset | None = None, spec: dict | None = None) -> Trainer:
        """A fresh, seeded trainer for this lesson, optionally with another architecture:
        ``spec`` (any layer stack), or an MLP of ``hidden_sizes`` / ``hidden`` — also on a
        conv lesson, whose data an MLP reads just as well (its hidden default then is ReLU)."""
        data = data or load_dataset(self.dataset)
        seed = self.seed if seed is None else int(seed)
        return Trainer(self.network(seed, hidden_sizes, hidden, data, spec), data, self.settings, seed=seed)

    def network(self, seed: int | None = None, hidden_sizes=None, hidden: str | None = None,
                data: Dataset | None = None, spec: dict | None = None):
        """The freshly initialised network ``build`` trains (its arguments, as there)."""
        seed = self.seed if seed is None else int(seed)
        if spec is None and hidden_sizes is None and hidden is None:
            spec = self.spec
        if spec is not None:
            return build_network(spec, seed=seed, init=self.init)
        data = data or load_dataset(self.dataset)
        sizes = [data.n_inputs, *(self.hidden_sizes if hidden_sizes is None else hidden_sizes), data.n_outputs]
        return Network(sizes, hidden=hidden or self.hidden, output=self.output, bias=self.bias, seed=seed,
                       init=self.init)


def _conv(filters: int, kernel: int, padding: int = 0) -> dict:
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": 1, "padding": padding,
            "activation": "relu"}


_POOL, _FLAT, _OUT10 = {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}

#: 8×8 digits: 8 kernels of 3×3 (padding 1 keeps 8×8), pool to 4×4, 128 features -> 10.
#: 8·9 + 8 + 128·10 + 10 = 1,370 parameters.
CONV_SPEC = {"input_shape": [1, 8, 8], "layers": [_conv(8, 3, padding=1), _POOL, _FLAT, _OUT10],
             "output": "softmax", "bias": True}
#: 28×28 MNIST: 8@5×5 (24×24) -> pool (12×12) -> 16@5×5 (8×8) -> pool (4×4) -> 256 -> 10.
#: 8·25 + 8 + 16·8·25 + 16 + 256·10 + 10 = 5,994 parameters.
MNIST_CONV_SPEC = {"input_shape": [1, 28, 28],
                   "layers": [_conv(8, 5), _POOL, _conv(16, 5), _POOL, _FLAT, _OUT10],
                   "output": "softmax", "bias": True}

_KERNEL_WORDS = (
    "A kernel is a small grid of weights (here {k}×{k}) that slides over the image; at each position "
    "it multiplies the pixels under it by its weights and adds them up (plus a bias, then ReLU). "
    "The grid of those results is a feature map: a picture of where in the image the kernel's "
    "pattern — a stroke, an edge — shows up. The same kernel is used everywhere, so a pattern is "
    "found wherever it sits, with a handful of weights.")


LESSONS: dict[str, Lesson] = {
    "smile": Lesson(
        name="smile",
        title="Smile detector (3 wide × 4 tall)",
        description=(
            "Twelve pixels, twelve weights, no bias: output = Σ wᵢ·xᵢ, +1 means smile, −1 not. "
            "Every weight starts at 0. One iteration nudges each weight up and down by the step on "
            "its own, keeps the direction that brings the outputs closer to the targets, then applies "
            "all the changes at once. Watch the first iteration get 3 of 4 outputs exactly right."),
        dataset="smile", hidden_sizes=(), hidden="linear", output="linear", bias=False, init="zeros",
        settings=TrainSettings(learning_rate=0.1, batch_size=4, optimizer="sgd", method="nudge",
                               nudge_step=1.0, loss="mse"),
        epochs=12,
        source="Hard Parts of AI: Neural Networks (Frontend Masters)",
        speed=2.0,  # two nudge rounds a second: each one can be read
    ),
    "mnist": Lesson(
        name="mnist",
        title="3Blue1Brown's digit network (28×28 → 16 → 16 → 10)",
        description=(
            "784 input neurons hold a 28×28 digit's brightness (0 black … 1 white). Two hidden layers "
            "of 16 neurons, each computing σ(w·a + b), then 10 outputs (a softmax, so they add up to 1): "
            "the brightest is the answer. A hidden neuron's 784 incoming weights are shown as a 28×28 "
            "image — green positive, red negative. 13,002 knobs in all, learned by gradient descent "
            "on mini-batches."),
        dataset="mnist", hidden_sizes=(16, 16), hidden="sigmoid", output="softmax", bias=True,
        init="auto",
        # Sigmoid nets want a large plain-SGD step; by 20 epochs the test accuracy has levelled off at
        # about 90% (seed 0: 89.4% at epoch 8, 90.5% at 17, 90.1% at 20, on MNIST's real test images)
        # before memorising the 4,000 training images sets in.
        settings=TrainSettings(learning_rate=0.5, batch_size=32, optimizer="sgd", loss="cross_entropy"),
        epochs=20,
        source="3Blue1Brown, But what is a neural network? (Deep Learning, chapter 1)",
        speed=30.0,  # an epoch (125 mini-batches) in about four seconds
    ),
    "digits": Lesson(
        name="digits",
        title="8×8 digits, ReLU and softmax (64 → 128 → 32 → 10)",
        description=(
            "The meetup talk's network: 8×8 handwritten digits (64 inputs), fully connected layers of "
            "128 and 32 ReLU units, then a 10-way softmax trained with categorical cross-entropy by "
            "stochastic gradient descent, learning rate 0.01, in mini-batches of 16. Try L2 and dropout "
            "against overfitting."),
        dataset="digits", hidden_sizes=(128, 32), hidden="relu", output="softmax", bias=True,
        init="auto",
        settings=TrainSettings(learning_rate=0.01, batch_size=16, optimizer="sgd", loss="cross_entropy"),
        epochs=80,
        source="Tensorflow, what is it that you see? (2018 meetup talk)",
        speed=30.0,  # an epoch (90 mini-batches) in about three seconds
    ),
    "conv": Lesson(
        name="conv",
        title="Convolution on 8×8 digits (8 kernels of 3×3 → pool → 10)",
        description=(
            _KERNEL_WORDS.format(k=3) + " Eight kernels make eight 8×8 feature maps; max pooling keeps "
            "the strongest response in each 2×2 block (4×4 maps), and one dense softmax layer reads those "
            "128 numbers to name the digit. 1,370 parameters, against 12,778 for the dense digits network."),
        dataset="digits", hidden_sizes=(), hidden="relu", output="softmax", bias=True, init="auto",
        spec=CONV_SPEC,
        # Plain SGD (lr 0.1 or 0.05) swings between ~95% and ~20% test accuracy from epoch to epoch
        # here: a kernel weight's gradient sums over all 64 positions. Adam's per-weight steps settle.
        # It reaches 100% on the training images, so dropout (on the 128 pooled features) helps:
        # after 50 epochs, seeds 0–9 score 436–444 of the 450 test digits (median 440.5) with
        # dropout 0.25, 435–445 (median 440) without. Seed 9: 441, 443, 442 after 30, 40, 50.
        settings=TrainSettings(learning_rate=0.01, batch_size=32, optimizer="adam", dropout=0.25,
                               loss="cross_entropy"),
        epochs=50, seed=9,
        source="Convolutional networks, \"what comes next\" in the 2018 meetup talk; ConvNetJS, CNN Explainer",
        speed=10.0,  # an epoch (43 mini-batches) in about four seconds
    ),
    "mnist-conv": Lesson(
        name="mnist-conv",
        title="Convolution on 28×28 digits (8 and 16 kernels of 5×5 → 10)",
        description=(
            _KERNEL_WORDS.format(k=5) + " The first layer's 8 kernels read the digit; its feature maps, "
            "pooled to 12×12, are the input of 16 kernels that each look at all 8 maps at once and so "
            "combine strokes into larger shapes. Pooled to 4×4, those 256 numbers feed a 10-way softmax. "
            "5,994 parameters, fewer than the 13,002 of the dense 28×28 network."),
        dataset="mnist", hidden_sizes=(), hidden="relu", output="softmax", bias=True, init="auto",
        spec=MNIST_CONV_SPEC,
        # Momentum SGD: 97.4% on the test split (MNIST's real test images) after 10 epochs (seed 0;
        # 95.9–97.4% over epochs 6–10, rising); lr 0.05 swings more and ends lower (96.5%).
        settings=TrainSettings(learning_rate=0.02, batch_size=32, optimizer="momentum", momentum=0.9,
                               loss="cross_entropy"),
        epochs=10,
        source="LeNet-style convolution (LeCun et al. 1998); CNN Explainer",
        speed=20.0,  # an epoch (125 mini-batches) in about six seconds
    ),
}

DEFAULT_LESSON = "mnist"


def get_lesson(name: str) -> Lesson:
    try:
        return LESSONS[name]
    except KeyError:
        raise SettingsError(f"no lesson called {name!r}; choose one of {', '.join(LESSONS)}") from None


@lru_cache(maxsize=None)
def load_dataset(name: str) -> Dataset:
    """A built-in dataset by name ("smile", "digits", "mnist"), loaded once per process."""
    if name == "smile":
        return smile()
    if name not in ("digits", "mnist"):
        raise SettingsError(f"no built-in dataset called {name!r}; choose smile, digits or mnist")
    raw = load_bundled(name)
    return images_to_dataset(name, raw["images"], raw["labels"], raw["test_index"],
                             scale=16.0 if name == "digits" else 255.0)
