"""Security gates: static scans of code and repository, and the tests that keep them honest."""
