"""The metric families of one scrape. Names and labels follow Prometheus' conventions (base units:
seconds and bytes; counters end in _total). Series: per host 5 + 4 CPU modes; per instance 5, plus
4 per disk and 4 per NIC — at 100,000 instances with a disk and a NIC each, about 1.3 million; the
console's own health adds one series per operation kind and outcome."""

import time

from django.db.models import Count, F, Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from redis.exceptions import RedisError

from hosts import pace
from hosts.models import HostStatus
from instances import device_stats
from instances.models import InstanceState
from jobs.models import Operation
from jobs.services import QUEUE, NoWorker, queue_named, workers_alive

INSTANCE_LABELS = ["host", "instance", "instance_uuid"]
KIB, NS = 1024, 1e-9
# our figure -> the counter's name (prometheus_client adds _total)
DISK_COUNTERS = {"read_bytes": "block_read_bytes", "write_bytes": "block_write_bytes",
                 "read_requests": "block_read_requests", "write_requests": "block_write_requests"}  # fmt: skip
NIC_COUNTERS = {"rx_bytes": "network_receive_bytes", "tx_bytes": "network_transmit_bytes",
                "rx_packets": "network_receive_packets", "tx_packets": "network_transmit_packets"}  # fmt: skip


class FleetCollector:
    """prometheus_client's custom collector over `hosts` and `instances` (querysets the caller may see)."""

    def __init__(self, hosts, instances):
        self.hosts, self.instances = hosts, instances

    def collect(self):
        yield from self._hosts()
        yield from self._instances()
        yield from _health()

    def _hosts(self):
        up = GaugeMetricFamily("lvc_host_up", "1 when the monitor reaches the host", labels=["host"])
        vcpus = GaugeMetricFamily("lvc_host_vcpus", "Logical CPUs of the host", labels=["host"])
        memory = GaugeMetricFamily("lvc_host_memory_bytes", "Memory of the host", labels=["host"])
        free = GaugeMetricFamily("lvc_host_memory_free_bytes", "Free memory of the host (last read)", labels=["host"])
        maintenance = GaugeMetricFamily("lvc_host_maintenance", "1 while the host is in maintenance", labels=["host"])
        cpu = CounterMetricFamily("lvc_host_cpu_seconds", "CPU time of the host by mode", labels=["host", "mode"])
        for host in self.hosts.only("name", "status", "cpus", "memory_mib", "maintenance", "resources"):
            resources = host.resources or {}
            up.add_metric([host.name], int(host.status == HostStatus.UP))
            maintenance.add_metric([host.name], int(host.maintenance))
            vcpus.add_metric([host.name], resources.get("vcpus_total") or host.cpus or 0)
            memory.add_metric([host.name], (resources.get("memory_total_mib") or host.memory_mib or 0) * KIB * KIB)
            if resources.get("memory_free_mib") is not None:
                free.add_metric([host.name], resources["memory_free_mib"] * KIB * KIB)
            for mode, ns in (resources.get("cpu_time_ns") or {}).items():
                cpu.add_metric([host.name, mode], ns * NS)
        yield from (up, vcpus, memory, free, maintenance, cpu)

    def _instances(self):
        families = {
            "state": GaugeMetricFamily("lvc_instance_state", "1 for the instance's current state",
                                       labels=[*INSTANCE_LABELS, "state"]),
            "vcpus": GaugeMetricFamily("lvc_instance_vcpus", "vCPUs of the instance", labels=INSTANCE_LABELS),
            "memory": GaugeMetricFamily("lvc_instance_memory_bytes", "Memory the guest has (its balloon)",
                                        labels=INSTANCE_LABELS),
            "rss": GaugeMetricFamily("lvc_instance_memory_rss_bytes", "Memory its process holds on the host",
                                     labels=INSTANCE_LABELS),
            "cpu": CounterMetricFamily("lvc_instance_cpu_seconds", "CPU time of the instance", labels=INSTANCE_LABELS),
        }  # fmt: skip
        for ours, name in DISK_COUNTERS.items():
            families[ours] = CounterMetricFamily(f"lvc_instance_{name}", f"Disk {ours}",
                                                 labels=[*INSTANCE_LABELS, "disk"])  # fmt: skip
        for ours, name in NIC_COUNTERS.items():
            families[ours] = CounterMetricFamily(f"lvc_instance_{name}", f"NIC {ours}",
                                                 labels=[*INSTANCE_LABELS, "nic"])  # fmt: skip
        rows = list(self.instances.values_list("uuid", "name", "host__name", "state", "vcpus", "memory_mib"))
        figures = device_stats.read_many([str(row[0]) for row in rows])
        for uuid, name, host, state, vcpus, memory_mib in rows:
            labels = [host, name, str(uuid)]
            families["state"].add_metric([*labels, state], 1)
            families["vcpus"].add_metric(labels, vcpus or 0)
            found = figures.get(str(uuid), {})
            memory = found.get("memory_kib")
            families["memory"].add_metric(labels, memory * KIB if memory is not None else (memory_mib or 0) * KIB * KIB)
            if found.get("rss_kib") is not None:
                families["rss"].add_metric(labels, found["rss_kib"] * KIB)
            if state == InstanceState.RUNNING and found.get("cpu_time_ns") is not None:
                families["cpu"].add_metric(labels, found["cpu_time_ns"] * NS)
            _devices(families, labels, found.get("disks") or [], DISK_COUNTERS)
            _devices(families, labels, found.get("nics") or [], NIC_COUNTERS)
        yield from families.values()


def _devices(families: dict, labels: list, devices: list[dict], counters: dict) -> None:
    for device in devices:
        for ours in counters:
            if device.get(ours) is not None and device.get("target"):
                families[ours].add_metric([*labels, device["target"]], device[ours])


def _health():
    """The console itself: operations by kind and outcome with their durations, the queue, the
    workers, and the monitor's pace."""
    done = CounterMetricFamily("lvc_operations", "Operations by kind and status", labels=["kind", "status"])
    for kind, status, count in Operation.objects.values_list("kind", "status").annotate(n=Count("id")):
        done.add_metric([kind, status], count)
    took = SummaryMetricFamily("lvc_operation_duration_seconds", "How long operations that ran took",
                               labels=["kind"])  # fmt: skip
    ran = Operation.objects.filter(started__isnull=False, finished__isnull=False)
    for kind, count, seconds in ran.values_list("kind").annotate(
        n=Count("id"), total=Sum(F("finished") - F("started"))
    ):
        took.add_metric([kind], count_value=count, sum_value=seconds.total_seconds() if seconds else 0)
    yield done
    yield took
    try:
        alive, length = workers_alive(), queue_named(QUEUE).count
        last_beat, events = pace.read()
    except (NoWorker, RedisError):  # Redis away: the rest of the scrape still answers
        return
    yield GaugeMetricFamily("lvc_workers_alive", "Job workers serving the queue", value=alive)
    yield GaugeMetricFamily("lvc_queue_length", "Operations waiting in the job queue", value=length)
    yield CounterMetricFamily("lvc_monitor_events_applied", "Events the monitor has written", value=events)
    if last_beat is not None:
        yield GaugeMetricFamily("lvc_monitor_lag_seconds", "Seconds since the monitor's last pass",
                                value=max(time.time() - last_beat, 0))  # fmt: skip
