"""Analyses the Explore tabs show: confusion, unit health, learning-rate probe, neuron input, the smile population, nudge vs gradient, evaluation."""
