"""lrlab: learning-rate schedules you can trust, and a CLI to see them train."""

__version__ = "0.1.0"
