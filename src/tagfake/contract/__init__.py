"""The contracts: spec loading, compiled validators, and the contract suite."""
