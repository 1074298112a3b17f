"""Stages of the platform benchmark (`./run bench`): each runs the same simulated events one way and returns StageResults."""
