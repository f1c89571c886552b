"""Adapters that bring real sources into the landing directory."""
