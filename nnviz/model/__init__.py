"""The Qt-free model: networks, training, datasets, lessons, files and painting logic."""
