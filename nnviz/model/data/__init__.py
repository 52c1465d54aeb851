"""Datasets: the built-in ones, IDX files, opened datasets, the learner's examples, preprocessing."""
