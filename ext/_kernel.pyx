# cython: language_level=3
"""Placeholder until the scheduling kernel lands."""

def openmp_enabled():
    return False
