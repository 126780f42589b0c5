"""Benchmarks for `make bench`: each reports a ratio against a reference run in the same process."""
