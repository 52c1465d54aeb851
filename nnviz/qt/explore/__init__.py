"""The Explore dock: its tab widget, the panel protocol and the six tabs."""
