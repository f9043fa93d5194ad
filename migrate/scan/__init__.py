"""The scanners: one per kind of file, each returning findings and per-file problems."""
