"""Nexor public API: tag CRUD, a lead's tags, the find-or-create tag sync, lead create and get."""
