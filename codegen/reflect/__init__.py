"""Readers of sources: a live database or an API description, into the spec."""
