"""Snapshots of an instance: internal ones (a tree; revert, delete), external disk snapshots
(an overlay, committed back) and snapshot → image."""
