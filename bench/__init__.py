"""Benchmarks: ``python -m bench`` runs them all and prints ratios against baselines.

Each case pairs the code under test with a baseline doing the same job the plain
way, run in the same process on the same data, so the printed ratio is comparable
across machines even though absolute times are not.
"""
