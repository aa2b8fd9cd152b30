"""Host maintenance: nothing new lands on a host in maintenance (spawns, migrations), and starting it
drains the host: every running guest live-migrates to a host the scheduler chooses, MAINTENANCE_PARALLEL
at a time, all in one operation with a line per guest. A guest that cannot move is listed with why;
the others still move. Ending it reopens the host.

The scheduler (choose_destination): among the hosts the operation's user runs instances on that are
up, open and not the guest's own, those passing the migration checks; of these the one with the
most memory left (under MEMORY_OVERCOMMIT_RATIO), then the fewest vCPUs per CPU."""

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

from accounts.scope import operated_hosts
from hosts.models import Host, HostStatus
from hosts.operation_support import target_host
from instances.migration.checks import host_view_of, problems
from instances.migration.operations import move
from instances.models import Instance, InstanceState
from jobs import heartbeat
from jobs.models import Operation
from jobs.registry import BULK, OperationFailed, operation
from live.broadcast import broadcast
from virt import stopping
from virt.errors import VirtError
from virt.stopping import Stopped


def choose_destination(instance: Instance, user, *, cold: bool = False) -> tuple[Host | None, str]:
    """(host, "") the scheduler picks for the instance (moving live, or `cold`: evacuation), or (None,
    why none can take it)."""
    open_hosts = Host.objects.filter(status=HostStatus.UP, maintenance=False).exclude(pk=instance.host_id)
    passing, refused = [], []
    for host in operated_hosts(user, open_hosts) if user is not None else []:
        found = problems(instance, host, cold=cold)
        if found:
            refused.append(f"{host}: {found[0]}")
        else:
            passing.append(host)
    if not passing:
        return None, "; ".join(refused) or "no other host you run instances on is up and open"

    def rank(host: Host) -> tuple[float, float]:
        view = host_view_of(host)
        memory_left = view.memory_total_mib * settings.MEMORY_OVERCOMMIT_RATIO - view.memory_committed_mib
        return -memory_left, view.vcpus_committed / max(view.vcpus_total, 1)

    return min(passing, key=rank), ""


def _set_maintenance(host: Host, on: bool) -> None:
    Host.objects.filter(pk=host.pk).update(maintenance=on)
    broadcast("hosts", {"id": host.pk})


@operation("host.end_maintenance", label="End maintenance")
def end_maintenance(op, report):
    host = target_host(op)
    _set_maintenance(host, False)
    return {"message": f"{host} is open again: new instances and migrations may land there"}


@operation("host.maintenance", label="Start maintenance", timeout=6 * 3600, stoppable=True, queue=BULK)
def start_maintenance(op, report):
    host = target_host(op)
    _set_maintenance(host, True)
    guests = list(Instance.objects.filter(host=host, state__in=(InstanceState.RUNNING, InstanceState.PAUSED)))
    if not guests:
        return {"message": f"{host} is in maintenance; no guest was running there", "lines": {}}

    def move_one(guest: Instance, say, moving: dict) -> str:
        dest, why = choose_destination(guest, op.user)
        if dest is None:
            raise OperationFailed(why)
        moving[str(guest.pk)] = {"destination": dest.pk}
        say(f"moving to {dest}")
        result = move(guest.pk, dest, {}, lambda _progress, text: say(f"to {dest}: {text}"),
                      remember=moving[str(guest.pk)].update)  # fmt: skip
        return f"to {dest}: {result['message']}"

    lines, stayed = each_guest(op, report, guests, move_one, verb=("move", "moved"))
    summary = f"{len(lines) - len(stayed)} of {len(lines)} guests moved off {host}"
    stopping.check(f"Aborted: {summary}; {host} stays in maintenance")
    if stayed:
        raise OperationFailed(f"{summary}; still there: " + "; ".join(f"{name} ({lines[name]})" for name in stayed))
    return {"message": f"{summary}; it is in maintenance", "lines": lines}


def each_guest(op, report, guests: list[Instance], move_one, *, verb: tuple[str, str]) -> tuple[dict, list[str]]:
    """move_one(guest, say, moving) for each guest, MAINTENANCE_PARALLEL at a time in helper threads
    that share the job's heartbeat and abort, with a line per guest in the operation's result (and
    `moving`, what move_one records there for the reaper). Returns the lines and the names of the
    guests that did not move (their line says why)."""
    lines = {guest.name: "waiting" for guest in sorted(guests, key=lambda guest: guest.name)}
    moving, done, beat = {}, set(), heartbeat.current()
    do, did = verb

    def say(name: str, text: str) -> None:
        lines[name] = text
        Operation.objects.filter(pk=op.pk).update(result={"lines": lines, "moving": moving})
        report(5 + 90 * len(done) // len(lines), f"{len(done)} of {len(lines)} {did}; {name}: {text}")

    def one(guest: Instance) -> None:
        with heartbeat.helping(beat):
            try:
                if stopping.stop_requested():
                    return say(guest.name, f"not {did}: aborted")
                line = move_one(guest, lambda text: say(guest.name, text), moving)
                done.add(guest.name)
                say(guest.name, f"{did} {line}")
            except Stopped as stopped:
                say(guest.name, f"not {did}: {stopped}")
            except (OperationFailed, VirtError) as error:
                say(guest.name, f"cannot {do}: {error}")
            finally:
                connections.close_all()

    with ThreadPoolExecutor(max_workers=settings.MAINTENANCE_PARALLEL, thread_name_prefix="drain") as pool:
        list(pool.map(one, guests))
    return lines, [name for name in lines if name not in done]
