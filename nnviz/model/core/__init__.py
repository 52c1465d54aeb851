"""The network and its training: layers, both network classes behind one contract, functions, optimizers, nudge, trainer, settings, history, snapshots, timeline, the blow-up watch."""
