"""Each vendor's part of the suite: properties, a state machine, assumption probes."""

from __future__ import annotations

from tagfake.suite.base import VendorSuite


def suite_class(vendor: str) -> type[VendorSuite]:
    if vendor == "zapini":
        from tagfake.suite.vendors.zapini import ZapiniSuite

        return ZapiniSuite
    if vendor == "nexor":
        from tagfake.suite.vendors.nexor import NexorSuite

        return NexorSuite
    if vendor == "healvi":
        from tagfake.suite.vendors.healvi import HealviSuite

        return HealviSuite
    if vendor == "commbox":
        from tagfake.suite.vendors.commbox import CommBoxSuite

        return CommBoxSuite
    raise ValueError(f"unknown vendor {vendor!r}")
