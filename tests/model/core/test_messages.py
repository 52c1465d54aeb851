"""The sentences the app shows name settings and losses in words, never by their internal keys."""

from nnviz.model.core.messages import change_text


def test_a_changed_loss_is_named_in_words():
    text = change_text({"loss": ("cross_entropy", "mse"), "learning_rate": (0.01, 10.0)})
    assert text == "the loss function went from cross-entropy to mean squared error and the learning rate from 0.01 to 10"
    assert "_" not in text
