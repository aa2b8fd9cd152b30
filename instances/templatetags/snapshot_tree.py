"""Template filters for the snapshot section: the stored flat list as a tree, epoch seconds as a time."""

from datetime import UTC, datetime

from django import template

register = template.Library()


@register.filter
def snapshot_tree(snapshots) -> list[dict]:
    """[{"snapshot": ..., "children": [...]}] from the flat list (parent names); a snapshot whose
    parent is not in the list is a root."""
    snapshots = snapshots or []
    names = {snap.get("name") for snap in snapshots}
    children: dict[str, list[dict]] = {}
    for snap in snapshots:
        parent = snap.get("parent") if snap.get("parent") in names else ""
        children.setdefault(parent, []).append(snap)

    def nodes(parent: str, seen: frozenset) -> list[dict]:
        return [{"snapshot": snap, "children": nodes(snap["name"], seen | {snap["name"]})}
                for snap in children.get(parent, []) if snap["name"] not in seen]  # fmt: skip

    return nodes("", frozenset())


@register.filter
def epoch(seconds):
    """A datetime from Unix seconds (None when there are none)."""
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None
