"""Evacuating the guests of a host that is down, and removing what they left there when it returns."""
