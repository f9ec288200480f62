"""Synthetic sample rosters for hcs (see tools/make_sample.py).

This package must never import handcraft_stats: the truth it writes is computed
independently from the people it invents.
"""
