"""The panels: editor, activation view, weight panel, readout, browser, training panel, plots, timeline."""
