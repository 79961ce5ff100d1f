"""tagfake: a stateful mock and contract-testing server for SaaS vendors' tag APIs."""

__version__ = "0.1.0"
