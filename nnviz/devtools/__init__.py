"""One-off maintainer scripts (not used at run time)."""
