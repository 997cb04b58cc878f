"""Fault benchmark: `python -m bench.faults` (see __main__)."""
