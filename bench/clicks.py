"""Benchmark: a click on a real host, through the processes `make run` starts (the Procfile's web
and worker lines), side by side with the same libvirt call made bare from Python, alternating, on
a tiny TCG guest on qemu:///system: Start (click -> the domain running, polled through a second
connection) against createWithFlags, Force off (click -> shut off) against destroy, each after the
same quiet time (--settle). Also click -> the operation started on the worker (the queue), and
click -> libvirt at work on the start (the domain first seen "paused: starting up") against the
same for the bare call: the difference is the click's path before libvirt's call, measured from
outside the console. Prints figures; asserts nothing.

    .venv/bin/python bench/clicks.py [--runs 30] [--warmups 2] [--settle 0.2]

Needs `make hypervisor` (libvirtd and the tiny guest). Throw-away state as bench/pages.py."""

from pages import PORT, bench_process, logged_in, serving  # first: sets Django up on throw-away state

# isort: split

import argparse
import json
import re
import shutil
import statistics
import threading
import time
from pathlib import Path

import libvirt
import requests
from django.conf import settings
from django.contrib.auth.models import User
from lxml import etree
from support import WORK, fresh_state, stop_process, wait_until

from hosts.models import Host, HostStatus
from instances.models import Instance, InstanceState
from jobs.models import Operation
from tests.support.guest import define_tiny_guest, remove_leftover_guests

URI = "qemu:///system"
TARGETS = "targets: click -> running <= 1.0x a bare createWithFlags; click -> libvirt call started p50 <= 25 ms"
STARTING = (libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_STARTING_UP)  # libvirt is starting it


def without_kernel(conn: libvirt.virConnect, domain: libvirt.virDomain) -> libvirt.virDomain:
    """The same guest booting no kernel: its firmware finds nothing to boot and waits. Loading the
    tiny guest's 31 MB kernel and 11 MB initrd makes QEMU answer libvirt's first monitor command
    ~130 ms late at times (either ~290 or ~430 ms a start, about half each): that spread hides a
    few ms of the click's path, and is the guest's, not the path's."""
    xml = etree.fromstring(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    boot = xml.find("os")
    for element in list(boot):
        if element.tag in ("kernel", "initrd", "cmdline"):
            boot.remove(element)
    return conn.defineXML(etree.tostring(xml, encoding="unicode"))


def watch(domain: libvirt.virDomain, act, state: int) -> tuple[float, float | None]:
    """Run `act()` in a thread and poll the domain meanwhile: (ms until it is in `state`, ms until
    it was first seen starting up — libvirt at work on the start — or None)."""
    started, starting = time.perf_counter(), None
    actor = threading.Thread(target=act)
    actor.start()
    while (now := domain.state())[0] != state:
        if starting is None and tuple(now) == STARTING:
            starting = (time.perf_counter() - started) * 1000
        time.sleep(0.001)  # (a busy loop would take a core from QEMU, the worker and libvirtd on 2 cores)
    reached = (time.perf_counter() - started) * 1000
    actor.join()
    return reached, starting


def click(session: requests.Session, pk: int, action: str, domain: libvirt.virDomain, state: int):
    """(click -> the domain in `state`, click -> seen starting up, click -> the operation started)
    in ms, once the operation finished. Posted as the instance page's button posts it (htmx: the
    answer is a line for the page, which stays)."""
    page = session.get(f"http://127.0.0.1:{PORT}/instances/{pk}/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    last = Operation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    answers = []
    asked = time.time()
    reached, starting = watch(domain, lambda: answers.append(session.post(
        f"http://127.0.0.1:{PORT}/instances/{pk}/action/{action}/", timeout=30,
        data={"csrfmiddlewaretoken": token}, headers={"Referer": page.url, "HX-Request": "true"})), state)  # fmt: skip
    assert answers[0].status_code == 200, answers[0].status_code
    op = Operation.objects.filter(pk__gt=last)
    wait_until(lambda: op.filter(finished__isnull=False).exists(), timeout=120, step=0.01)
    return reached, starting, (op.get().started.timestamp() - asked) * 1000


def runs(domain, polled, session, pk: int, count: int, warmups: int, settle: float) -> dict[str, list[float]]:
    """The figures of `count` turns after `warmups`: `domain` is acted on, `polled` (the same domain
    through a second connection) watched."""
    names = ("bare create", "click start", "bare starting", "click starting", "queue start", "bare destroy",
             "click off", "queue off")  # fmt: skip
    figures = {name: [] for name in names}
    for turn in range(warmups + count):
        pairs = {}
        for path in ("bare", "click") if turn % 2 else ("click", "bare"):  # each path as often first
            time.sleep(settle)  # each start and stop after the same quiet time since the last
            if path == "bare":
                pairs["bare create"], pairs["bare starting"] = watch(
                    polled, lambda: domain.createWithFlags(0), libvirt.VIR_DOMAIN_RUNNING
                )
                time.sleep(settle)
                pairs["bare destroy"], _ = watch(polled, domain.destroy, libvirt.VIR_DOMAIN_SHUTOFF)
            else:
                pairs["click start"], pairs["click starting"], pairs["queue start"] = click(
                    session, pk, "start", polled, libvirt.VIR_DOMAIN_RUNNING
                )
                time.sleep(settle)
                pairs["click off"], _, pairs["queue off"] = click(
                    session, pk, "force-stop", polled, libvirt.VIR_DOMAIN_SHUTOFF
                )
        if turn >= warmups:
            for name, value in pairs.items():
                figures[name].append(value)
    return figures


def report(figures: dict[str, list[float]]) -> None:
    p50 = {name: statistics.median(v for v in values if v is not None) for name, values in figures.items()}
    spread = {name: f"{min(values):.0f}-{max(values):.0f}" for name, values in figures.items() if None not in values}
    for verb, ours, raw, queue in (("Start", "click start", "bare create", "queue start"),
                                   ("Force off", "click off", "bare destroy", "queue off")):  # fmt: skip
        paired = statistics.median(a - b for a, b in zip(figures[ours], figures[raw], strict=True))
        print(f"  {verb:9}: click -> done p50 {p50[ours]:6.1f} ms ({spread[ours]}), bare call p50 {p50[raw]:6.1f} ms "
              f"({spread[raw]}): {p50[ours] / p50[raw]:.2f}x; click -> operation started p50 {p50[queue]:5.1f} ms; "
              f"click less the bare call in the same turn p50 {paired:+6.1f} ms")  # fmt: skip
    lag = statistics.median(a - b for a, b in zip(figures["click starting"], figures["bare starting"], strict=True))
    print(f"  Start, libvirt at work on it (the domain first seen 'paused: starting up'): click -> p50 "
          f"{p50['click starting']:5.1f} ms, bare call -> p50 {p50['bare starting']:5.1f} ms; the click's path "
          f"before the call (click less bare, same turn) p50 {lag:5.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--settle", type=float, default=0.2, help="seconds of quiet before each start and stop")
    parser.add_argument("--kernel", action="store_true", help="boot the tiny guest's kernel (bimodal starts)")
    parser.add_argument("--samples", help="also write every run's figures to this JSON file")
    args = parser.parse_args()
    redis = fresh_state()
    conn, polling = libvirt.open(URI), libvirt.open(URI)
    remove_leftover_guests(conn)
    guest = define_tiny_guest(conn, start=False)
    domain = conn.lookupByName(guest.name) if args.kernel else without_kernel(conn, conn.lookupByName(guest.name))
    host = Host.objects.create(name="this machine", uri=URI, status=HostStatus.UP)
    instance = Instance.objects.create(host=host, uuid=domain.UUIDString(), name=guest.name,
                                       state=InstanceState.SHUTOFF, vcpus=1, memory_mib=128)  # fmt: skip
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, logged_in(User.objects.create_superuser("bench", "", "pw-12345")))
    processes = [bench_process("web"), bench_process("worker")]
    try:
        serving()
        booting = "booting its kernel" if args.kernel else "no kernel"
        print(f"a tiny TCG guest ({booting}) on {URI}; the Procfile's web and worker lines; {args.runs} runs after "
              f"{args.warmups} warm-ups, alternating; {TARGETS}")  # fmt: skip
        polled = polling.lookupByUUIDString(domain.UUIDString())
        figures = runs(domain, polled, session, instance.pk, args.runs, args.warmups, args.settle)
        report(figures)
        if args.samples:
            Path(args.samples).write_text(json.dumps(figures))
    finally:
        for process in processes:
            stop_process(process)
        guest.remove()
        conn.close()
        polling.close()
        redis.flushdb()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
