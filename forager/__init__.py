"""Forager: executable repository images, seeded tasks and agent trajectories."""

__version__ = "0.1.0"
