"""The contract suite's own tests: the fake passes it, mutants fail it, base-URL mode works."""
