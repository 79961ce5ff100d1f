"""Vendor-neutral tag helpers on the store's tenant handles."""

from tagfake.core.tags import SetChange, dedupe, entity, require_entity, require_tag, tag

__all__ = ["SetChange", "dedupe", "entity", "require_entity", "require_tag", "tag"]
