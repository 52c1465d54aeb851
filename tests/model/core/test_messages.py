"""The sentences the app shows name settings and losses in words, never by their internal keys."""

from nnviz.model.core.messages import change_text


def test_a_changed_loss_is_named_in_words():
    text = change_text({"loss": ("cross_entropy", "mse"), "learning_rate": (0.01, 10.0)})
    assert text == "the loss function went from cross-entropy to mean squared error and the learning rate from 0.01 to 10"
    assert "_" not in text


def test_a_loss_of_any_size_fits_the_counters_box_and_reads_as_the_number_it_is():
    """A blown-up loss of 770959.75 read "770959.7" cut at its box's edge (the box holds
    "loss 999.9999")."""
    from nnviz.model.core.messages import loss_text

    for loss in (0.0, 2.4148, 999.9999, 999.99996, 1000.0, 770959.75, 3.4e38):  # a loss is never negative
        text = loss_text(loss)
        assert len(text) <= len("999.9999"), text
        assert abs(float(text) - loss) <= 0.005 * abs(loss) + 5e-5, text
    assert loss_text(2.41483) == "2.4148" and loss_text(770959.75) == "7.71e+05"
