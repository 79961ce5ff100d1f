"""Helpers for users' own tests: the pytest plugin and an admin client over HTTP."""
