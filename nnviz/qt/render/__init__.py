"""Drawing helpers the views share: palettes, image items, plot styling, redraw skipping, tiles, pixmaps, export."""
