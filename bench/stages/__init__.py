"""Stages of the platform benchmark (issue 9): each runs the same simulated events one way and returns StageResults."""
