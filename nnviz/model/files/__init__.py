"""Files: the safe npz container, model and lesson files, atomic writes."""
