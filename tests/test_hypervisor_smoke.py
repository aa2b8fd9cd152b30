"""The real hypervisor: libvirt calls reach a real QEMU guest booted from the tiny image."""

import time

import libvirt
from lxml import etree

from hosts.connections import pool
from tests.support.guest import MARKER
from tests.support.waiting import wait_until
from virt.host import summarize


def test_guest_runs_under_tcg_and_printed_its_marker(booted_guest):
    domain = booted_guest.domain
    assert domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert etree.fromstring(domain.XMLDesc(0)).get("type") == "qemu"
    assert MARKER in booted_guest.serial_text()


def test_serial_console_answers_through_a_libvirt_stream(booted_guest):
    output = booted_guest.run_on_serial("echo answer-$((6*7))", "answer-42")
    assert "answer-42" in output


def test_virt_layer_sees_the_guest_on_the_real_host(booted_guest):
    with pool().connection("qemu:///system") as conn:
        summary = summarize(conn)
        names = [domain.name() for domain in conn.listAllDomains(0)]
    assert summary.hypervisor == "QEMU"
    assert booted_guest.name in names


def test_graceful_shutdown_powers_the_guest_off_through_acpi(make_guest):
    guest = make_guest()
    guest.wait_for_serial(MARKER)
    # An ACPI press can land before the guest listens for it: press again every 3 s, as an admin would.
    pressed: list[float] = []

    def off_pressing_the_button() -> bool:
        if guest.domain.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF:
            return True
        if not pressed or time.monotonic() - pressed[-1] >= 3:
            pressed.append(time.monotonic())
            try:
                guest.domain.shutdownFlags(libvirt.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN)  # not the guest agent
            except libvirt.libvirtError:
                pass  # it went off between the check and the press
        return False

    wait_until(off_pressing_the_button, timeout=60, what="the guest powered off by the power button")
    assert guest.domain.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
    assert "power button pressed" in guest.serial_text()
