"""Zapini API 1.2.0: tag CRUD and replacing a conversation's tags."""
