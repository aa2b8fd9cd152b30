"""Rates from made-up counter samples, checked against values computed by hand."""

import pytest

from stats.rates import cpu_percent, host_cpu_percent, instance_rates, memory_in_use, per_second


def sample(at, cpu_ns, disk=None, nic=None, **memory):
    return {"at": at, "cpu_time_ns": cpu_ns, "disks": [disk] if disk else [], "nics": [nic] if nic else [], **memory}


def test_a_guest_busy_on_one_of_its_two_vcpus_uses_half_of_them():
    before = sample(100.0, 5_000_000_000, {"target": "vda", "read_bytes": 1000, "write_bytes": 0,
                                           "read_requests": 10, "write_requests": 0},
                    {"target": "vnet0", "rx_bytes": 0, "tx_bytes": 500, "rx_packets": 0, "tx_packets": 5})  # fmt: skip
    after = sample(110.0, 15_000_000_000, {"target": "vda", "read_bytes": 41_960, "write_bytes": 8192,
                                           "read_requests": 30, "write_requests": 2},
                   {"target": "vnet0", "rx_bytes": 15_000, "tx_bytes": 500, "rx_packets": 10, "tx_packets": 5},
                   rss_kib=262_144)  # fmt: skip
    rates = instance_rates(before, after, vcpus=2)
    assert rates["values"] == [50.0, 268_435_456]  # 10 s of CPU in 10 s over 2 vCPUs; 256 MiB held
    assert rates["disks"] == {"vda": [4096.0, 819.2, 2.0, 0.2]}
    assert rates["nics"] == {"vnet0": [1500.0, 0.0, 1.0, 0.0]}


def test_a_counter_that_went_back_gives_a_gap_not_a_negative_rate():
    """The guest restarted between the samples: its CPU time and disk counters start again."""
    before = sample(0.0, 90_000_000_000, {"target": "vda", "read_bytes": 10**9, "write_bytes": 10**9,
                                          "read_requests": 10**5, "write_requests": 10**5})  # fmt: skip
    after = sample(10.0, 2_000_000_000, {"target": "vda", "read_bytes": 4096, "write_bytes": 0,
                                         "read_requests": 1, "write_requests": 0})  # fmt: skip
    rates = instance_rates(before, after, vcpus=1)
    assert rates["values"][0] is None and rates["disks"] == {"vda": [None, None, None, None]}


def test_a_device_new_since_the_last_sample_has_no_rate_yet():
    after = sample(10.0, 1, nic={"target": "vnet7", "rx_bytes": 100, "tx_bytes": 1, "rx_packets": 1, "tx_packets": 1})
    assert instance_rates(sample(0.0, 0), after, vcpus=1)["nics"] == {"vnet7": [None] * 4}


@pytest.mark.parametrize(("before", "after", "seconds", "expected"), [
    (None, 5, 1, None), (5, None, 1, None), (5, 10, 0, None), (10, 5, 1, None), (0, 30, 10, 3.0),
])  # fmt: skip
def test_per_second(before, after, seconds, expected):
    assert per_second(before, after, seconds) == expected


def test_cpu_use_never_reads_above_100_percent():
    """More CPU time than wall time (samples read late): the chart stops at 100 %."""
    assert cpu_percent(0, 12 * 10**9, 10, cpus=1) == 100.0
    assert cpu_percent(0, 12 * 10**9, 10, cpus=0) is None


def test_memory_in_use_is_the_guests_own_account_where_it_gives_one():
    assert memory_in_use({"memory_available_kib": 1_000_000, "memory_unused_kib": 400_000, "rss_kib": 9}) == (
        600_000 * 1024
    )
    assert memory_in_use({"rss_kib": 2048}) == 2048 * 1024
    assert memory_in_use({}) is None


def test_host_cpu_use_is_the_busy_share_of_its_cpu_time():
    before = {"kernel": 100, "user": 300, "idle": 1000, "iowait": 0}
    after = {"kernel": 200, "user": 600, "idle": 1500, "iowait": 100}  # busy 400 of 1000
    assert host_cpu_percent(before, after) == 40.0
    assert host_cpu_percent(after, before) is None  # the host rebooted: its counters went back
    assert host_cpu_percent({}, after) is None
