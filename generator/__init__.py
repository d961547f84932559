"""Chorus: a static-site generator for curated archives of hashtag campaigns."""

__version__ = "0.1.0"
