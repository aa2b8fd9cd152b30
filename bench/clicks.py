"""Benchmark: a click on a real host, through the processes `make run` starts (the Procfile's web
and worker lines), side by side with the same libvirt call made bare from Python, alternating, on
a tiny TCG guest on qemu:///system: Start (click -> the domain running, polled through a second
connection) against createWithFlags, Force off (click -> shut off) against destroy. Also click ->
the operation started on the worker (the queue). Prints figures; asserts nothing.

    .venv/bin/python bench/clicks.py [--runs 30] [--warmups 2]

Needs `make hypervisor` (libvirtd and the tiny guest). Throw-away state as bench/pages.py."""

from pages import PORT, bench_process, logged_in, serving  # first: sets Django up on throw-away state

# isort: split

import argparse
import re
import shutil
import statistics
import threading
import time

import libvirt
import requests
from django.conf import settings
from django.contrib.auth.models import User
from support import WORK, fresh_state, stop_process, wait_until

from hosts.models import Host, HostStatus
from instances.models import Instance, InstanceState
from jobs.models import Operation
from live.broadcast import SEQ_KEY, STREAM_KEY, entry_event
from tests.support.guest import define_tiny_guest, remove_leftover_guests

URI = "qemu:///system"
TARGETS = "targets: click -> running <= 1.0x a bare createWithFlags; click -> libvirt call started p50 <= 25 ms"


def until_state(domain: libvirt.virDomain, state: int) -> None:
    while domain.state()[0] != state:
        time.sleep(0.001)  # (a busy loop would take a core from QEMU, the worker and libvirtd on 2 cores)


def bare(domain: libvirt.virDomain, call, state: int) -> float:
    started = time.perf_counter()
    call()
    until_state(domain, state)
    return (time.perf_counter() - started) * 1000


class Reports:
    """The operations' progress reports as pages receive them (the live stream), each with the
    time it arrived here: "Starting the guest" is the worker's last step before createWithFlags."""

    def __init__(self, redis):
        self.redis, self.seen, self.last = redis, [], redis.get(SEQ_KEY) or b"0"
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            for _, entries in self.redis.xread({STREAM_KEY: f"{int(self.last)}-0"}, block=1000) or []:
                for entry_id, fields in entries:
                    self.seen.append((time.time(), entry_event(entry_id, fields)))
                    self.last = entry_id.split(b"-")[0]

    def first(self, op_id: int, message: str) -> float | None:
        """When the report `message` of the operation arrived (time.time()), or None."""
        return next((at for at, event in list(self.seen) if event["kind"] == "operation"
                     and event["data"]["id"] == op_id and event["data"]["message"] == message), None)  # fmt: skip


def click(
    session: requests.Session, pk: int, action: str, domain: libvirt.virDomain, state: int, reports: Reports
) -> tuple[float, float, float | None]:
    """(click -> the domain in `state`, click -> the operation started, click -> its last report
    before the libvirt call) in ms, once it finished."""
    page = session.get(f"http://127.0.0.1:{PORT}/instances/{pk}/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    last = Operation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    asked, started = time.time(), time.perf_counter()
    answer = session.post(f"http://127.0.0.1:{PORT}/instances/{pk}/action/{action}/", timeout=30,
                          data={"csrfmiddlewaretoken": token}, headers={"Referer": page.url})  # fmt: skip
    until_state(domain, state)
    took = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, answer.status_code
    op = Operation.objects.filter(pk__gt=last)
    wait_until(lambda: op.filter(finished__isnull=False).exists(), timeout=120, step=0.01)
    before_call = reports.first(op.get().pk, "Starting the guest") if action == "start" else None
    return took, (op.get().started.timestamp() - asked) * 1000, before_call and (before_call - asked) * 1000


def runs(domain, session, pk: int, count: int, warmups: int, reports: Reports) -> dict[str, list[float]]:
    figures = {name: [] for name in ("bare create", "click start", "queue start", "call start", "bare destroy",
                                     "click off", "queue off")}  # fmt: skip
    for turn in range(warmups + count):
        pairs = {}
        for path in ("bare", "click") if turn % 2 else ("click", "bare"):  # each path as often first
            if path == "bare":
                pairs["bare create"] = bare(domain, lambda: domain.createWithFlags(0), libvirt.VIR_DOMAIN_RUNNING)
                pairs["bare destroy"] = bare(domain, domain.destroy, libvirt.VIR_DOMAIN_SHUTOFF)
            else:
                pairs["click start"], pairs["queue start"], pairs["call start"] = click(
                    session, pk, "start", domain, libvirt.VIR_DOMAIN_RUNNING, reports
                )
                pairs["click off"], pairs["queue off"], _ = click(session, pk, "force-stop", domain,
                                                                  libvirt.VIR_DOMAIN_SHUTOFF, reports)  # fmt: skip
        if turn >= warmups:
            for name, value in pairs.items():
                figures[name].append(value)
    return figures


def report(figures: dict[str, list[float]]) -> None:
    p50 = {name: statistics.median(values) for name, values in figures.items()}
    spread = {name: f"{min(values):.0f}-{max(values):.0f}" for name, values in figures.items()}
    for verb, ours, raw, queue in (("Start", "click start", "bare create", "queue start"),
                                   ("Force off", "click off", "bare destroy", "queue off")):  # fmt: skip
        print(f"  {verb:9}: click -> done p50 {p50[ours]:6.1f} ms ({spread[ours]}), bare call p50 {p50[raw]:6.1f} ms "
              f"({spread[raw]}): {p50[ours] / p50[raw]:.2f}x; click -> operation started p50 {p50[queue]:5.1f} ms; "
              f"click -> done less the bare call {p50[ours] - p50[raw]:5.1f} ms")  # fmt: skip
    print(
        f'  click -> the worker\'s last step before createWithFlags (its report "Starting the guest" arriving '
        f"on the live stream) p50 {p50['call start']:5.1f} ms ({spread['call start']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=2)
    args = parser.parse_args()
    redis = fresh_state()
    conn = libvirt.open(URI)
    remove_leftover_guests(conn)
    guest = define_tiny_guest(conn, start=False)
    domain = conn.lookupByName(guest.name)
    host = Host.objects.create(name="this machine", uri=URI, status=HostStatus.UP)
    instance = Instance.objects.create(host=host, uuid=domain.UUIDString(), name=guest.name,
                                       state=InstanceState.SHUTOFF, vcpus=1, memory_mib=128)  # fmt: skip
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, logged_in(User.objects.create_superuser("bench", "", "pw-12345")))
    processes = [bench_process("web"), bench_process("worker")]
    try:
        serving()
        print(f"a tiny TCG guest on {URI}; the Procfile's web and worker lines; {args.runs} runs after "
              f"{args.warmups} warm-ups, alternating; {TARGETS}")  # fmt: skip
        report(runs(domain, session, instance.pk, args.runs, args.warmups, Reports(redis)))
    finally:
        for process in processes:
            stop_process(process)
        guest.remove()
        conn.close()
        redis.flushdb()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
