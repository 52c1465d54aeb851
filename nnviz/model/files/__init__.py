"""Files: model and lesson files in nnviz's own npz format, and models from elsewhere (``foreign``)."""
