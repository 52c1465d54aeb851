"""The network, its maths and its training: layers, functions, optimizers, nudge, trainer, settings, history, snapshots, timeline and the training session."""
