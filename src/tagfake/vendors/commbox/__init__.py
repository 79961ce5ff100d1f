"""CommBox API 2.07: tags with types and groups, and the tags of conversations (objects)."""
