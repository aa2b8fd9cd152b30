"""Who needs a volume: the rule that keeps a volume in use, or a pool holding one, from being
deleted. The facts (virt.usage.HostFiles) come from the host in the job that deletes, and from the
database (the inventory and the instances' definitions) on the pages."""

import posixpath
from dataclasses import dataclass

from virt.usage import HostFiles


@dataclass(frozen=True)
class Need:
    """Domains that need a file: directly, or through the volume `backs` that stands on it."""

    domains: tuple[str, ...]
    backs: str = ""

    def __str__(self) -> str:
        who = ("domains " if len(self.domains) > 1 else "domain ") + ", ".join(self.domains)
        if not self.backs:
            return who
        return f"the backing file of volume {self.backs}" + (f" used by {who}" if self.domains else "")


def _name(files: HostFiles, path: str) -> str:
    return files.volumes[path][1] if path in files.volumes else path


def _children(files: HostFiles) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path, backing in files.backing.items():
        found.setdefault(backing, set()).add(path)
    return found


def _domains_above(files: HostFiles, children: dict[str, set[str]], path: str) -> tuple[str, ...]:
    """Domains using `path` or anything standing on it, however deep the chain."""
    domains, seen, todo = set(), set(), [path]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            domains |= files.users.get(current, set())
            todo.extend(children.get(current, ()))
    return tuple(sorted(domains))


def needs(files: HostFiles, path: str) -> list[Need]:
    """What needs the file at `path`: the domains using it, then each volume standing on it (with
    the domains using that one's chain). A volume standing on it counts even when unused: deleting
    its backing file would lose it."""
    children = _children(files)
    found = [Need(tuple(sorted(files.users[path])))] if files.users.get(path) else []
    for child in sorted(children.get(path, ()), key=lambda child: _name(files, child)):
        found.append(Need(_domains_above(files, children, child), backs=_name(files, child)))
    return found


def _said(found: list[Need]) -> str:
    return "; ".join(map(str, found))


def volume_refusal(files: HostFiles, path: str, name: str) -> str | None:
    """Why the volume at `path` may not be deleted, or None."""
    found = needs(files, path)
    return f"Volume {name} is in use by {_said(found)}: nothing was deleted." if found else None


def pool_paths(files: HostFiles, pool: str) -> set[str]:
    """The files of `pool`: its volumes, and (a stopped pool lists none) the needed files in its directory."""
    directory = files.pool_dirs.get(pool, "")
    paths = {path for path, (owner, _name) in files.volumes.items() if owner == pool}
    needed = set(files.users) | set(files.backing.values())
    return paths | {path for path in needed if directory and posixpath.dirname(path) == directory}


def pool_refusal(files: HostFiles, pool: str) -> str | None:
    """Why `pool` may not be deleted (a volume in it is needed), or None."""
    used = [(path, found) for path in sorted(pool_paths(files, pool)) if (found := needs(files, path))]
    if not used:
        return None
    listed = "; ".join(f"{_name(files, path)} by {_said(found)}" for path, found in used)
    return f"Pool {pool} holds volumes in use ({listed}): nothing was deleted."


def recorded_files(host) -> HostFiles:
    """HostFiles as the database knows them: the host's inventory and its instances' definitions."""
    files = HostFiles()
    for pool in (host.inventory or {}).get("pools", []):
        files.pool_dirs[pool["name"]] = pool.get("path", "")
        for volume in pool.get("volumes", []):
            files.volumes[volume["path"]] = (pool["name"], volume["name"])
            if volume.get("backing"):
                files.backing[volume["path"]] = volume["backing"]
    for name, details in host.instances.values_list("name", "details"):
        boot, disks = (details or {}).get("boot", {}), (details or {}).get("disks", [])
        for path in [boot.get("kernel"), boot.get("initrd"), *(disk.get("source") for disk in disks)]:
            files.use(path or "", name)
    return files
