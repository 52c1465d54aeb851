"""What the views share: the view protocol (view_protocol.py), palettes, image items, plot styling, redraw skipping, tiles, pixmaps, export."""
