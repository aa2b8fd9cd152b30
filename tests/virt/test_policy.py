"""Policy: every domain it builds is valid libvirt XML with the defaults we promise; bad specs are refused."""

import shutil
import subprocess

import pytest

from virt.policy import GuestSpec, PolicyError, build_domain
from virt.xml.domain import Boot, Disk, Domain, Graphics, Interface, Serial

UUID = "0c6f2b9e-5d3a-4f1e-8b7c-9a2d4e6f8b10"
ROOT = "/var/lib/lvc/instances/web-1/disk.qcow2"
DRIVE = "/var/lib/lvc/instances/web-1/config.iso"
LOG = "/var/log/lvc/web-1/console.log"


def spec(**changes) -> GuestSpec:
    fields = dict(name="web-1", uuid=UUID, vcpus=2, memory_mib=1024, root_disk=ROOT, serial_log=LOG)
    fields.update(changes)
    return GuestSpec(**fields)


def assert_valid(xml: str, tmp_path) -> None:
    """virt-xml-validate (libvirt-clients) must accept the document; a missing tool fails the test."""
    tool = shutil.which("virt-xml-validate")
    if tool is None:
        pytest.fail("virt-xml-validate is not installed (Debian package libvirt-clients); the XML cannot be checked")
    path = tmp_path / "domain.xml"
    path.write_text(xml, encoding="utf-8")
    result = subprocess.run([tool, str(path), "domain"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"libvirt's schema rejects the XML:\n{result.stderr}\n{xml}"


CASES = {
    "vnc": spec(),
    "spice": spec(graphics="spice", console_address="192.0.2.10"),
    "vnc-on-ipv6-and-name": spec(console_address="::1"),
    "spice-on-host-name": spec(graphics="spice", console_address="console.example.org"),
    "no-graphics": spec(graphics="none"),
    "kernel-initrd": spec(root_disk="", kernel="/boot/vmlinuz", initrd="/boot/initrd.img", cmdline="console=ttyS0"),
    "q35-sata-cdrom": spec(config_drive=DRIVE, extra_specs={"hw:machine_type": "q35"}),
    "config-drive": spec(config_drive=DRIVE),
    "two-networks": spec(networks=("default", "isolated")),
    "guest-agent": spec(extra_specs={"hw:guest_agent": "true"}),
    "acpi-off": spec(extra_specs={"hw:acpi": "false"}),
    "diskless-no-log": spec(root_disk="", serial_log=""),
    "kvm-everything": spec(
        virt_type="kvm",
        config_drive=DRIVE,
        networks=("default",),
        extra_specs={
            "hw:disk_bus": "scsi",
            "hw:vif_model": "e1000",
            "hw:video_model": "bochs",
            "hw:machine_type": "pc",
            "hw:acpi": "yes",
            "hw:guest_agent": "true",
        },
    ),
    "sata-root-and-drive-on-q35": spec(
        config_drive=DRIVE, extra_specs={"hw:machine_type": "q35", "hw:disk_bus": "sata"}
    ),
    "ide-root-and-drive": spec(config_drive=DRIVE, extra_specs={"hw:disk_bus": "ide", "hw:vif_model": "rtl8139"}),
}


@pytest.mark.parametrize("guest", CASES.values(), ids=CASES.keys())
def test_built_domain_is_valid_libvirt_xml_and_round_trips(guest, tmp_path):
    domain = build_domain(guest)
    assert_valid(domain.to_xml(), tmp_path)
    assert Domain.from_xml(domain.to_xml()) == domain


def test_validator_rejects_a_broken_domain(tmp_path):
    """The schema check is real: a disk on a bus libvirt does not know fails it."""
    domain = build_domain(spec())
    domain.disks[0].bus = "floppy-ish"
    with pytest.raises(AssertionError, match="rejects"):
        assert_valid(domain.to_xml(), tmp_path)


def test_defaults_for_a_plain_vnc_guest():
    domain = build_domain(spec(networks=("default",)))
    assert domain == Domain(
        name="web-1",
        uuid=UUID,
        vcpus=2,
        memory_mib=1024,
        type="qemu",
        boot=Boot(arch="x86_64", machine=""),
        disks=[Disk(target="vda", source=ROOT, bus="virtio", format="qcow2", cache="none")],
        interfaces=[Interface(type="network", source="default", model="virtio")],
        graphics=[Graphics(type="vnc", listen="127.0.0.1", port=-1)],
        serial=Serial(log_file=LOG),
        video="vga",
        acpi=True,
        guest_agent=True,
        memory_stats_period=10,  # the memory chart's guest figures
    )


def test_spice_gets_qxl_on_the_console_address():
    domain = build_domain(spec(graphics="spice", console_address="192.0.2.10"))
    assert domain.graphics == [Graphics(type="spice", listen="192.0.2.10")]
    assert domain.video == "qxl"


def test_the_graphics_console_gets_the_password_of_the_spec():
    domain = build_domain(spec(console_password="Zq8-x_1a"))
    assert domain.graphics == [Graphics(type="vnc", listen="127.0.0.1", password="Zq8-x_1a")]
    assert 'passwd="Zq8-x_1a"' in domain.to_xml()


def test_no_graphics_means_no_video_but_a_serial_console():
    domain = build_domain(spec(graphics="none", extra_specs={"hw:video_model": "virtio"}))
    assert (domain.graphics, domain.video, domain.serial) == ([], "", Serial(log_file=LOG))


def test_video_model_extra_spec_overrides_the_default():
    assert build_domain(spec(extra_specs={"hw:video_model": "virtio"})).video == "virtio"


@pytest.mark.parametrize(
    ("machine", "bus", "target"), [("", "ide", "hda"), ("pc", "ide", "hda"), ("q35", "sata", "sda")]
)
def test_config_drive_is_a_readonly_raw_cdrom_after_the_root_disk(machine, bus, target):
    domain = build_domain(spec(config_drive=DRIVE, extra_specs={"hw:machine_type": machine}))
    root, drive = domain.disks
    assert root == Disk(target="vda", source=ROOT, bus="virtio", format="qcow2", cache="none")
    assert drive == Disk(target=target, source=DRIVE, device="cdrom", bus=bus, format="raw", readonly=True)
    assert domain.boot.machine == machine


def test_cdrom_shares_the_sd_names_with_a_sata_root_disk():
    domain = build_domain(spec(config_drive=DRIVE, extra_specs={"hw:machine_type": "q35", "hw:disk_bus": "sata"}))
    assert [(disk.target, disk.bus) for disk in domain.disks] == [("sda", "sata"), ("sdb", "sata")]


def test_kernel_boot_and_networks_follow_the_spec():
    domain = build_domain(
        spec(kernel="/k", initrd="/i", cmdline="quiet", networks=("a", "b"), extra_specs={"hw:vif_model": "E1000"})
    )
    assert domain.boot == Boot(kernel="/k", initrd="/i", cmdline="quiet")
    assert [(nic.source, nic.model) for nic in domain.interfaces] == [("a", "e1000"), ("b", "e1000")]


@pytest.mark.parametrize(("value", "acpi"), [("false", False), ("no", False), ("True", True), ("", True)])
def test_acpi_extra_spec(value, acpi):
    assert build_domain(spec(extra_specs={"hw:acpi": value})).acpi is acpi


def test_every_guest_gets_the_guest_agent_channel_unless_the_extra_spec_says_no():
    domain = build_domain(spec())
    assert domain.guest_agent
    channel = domain.to_element().find("devices/channel")
    assert channel.get("type") == "unix" and channel.find("target").attrib == {
        "type": "virtio",
        "name": "org.qemu.guest_agent.0",
    }
    assert build_domain(spec(extra_specs={"hw:guest_agent": "true"})).guest_agent
    without = build_domain(spec(extra_specs={"hw:guest_agent": "false"}))
    assert not without.guest_agent and without.to_element().find("devices/channel") is None


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"extra_specs": {"hw:disk_bus": "floppy"}}, "'floppy'"),
        ({"extra_specs": {"hw:vif_model": "ne2k_pci"}}, "'ne2k_pci'"),
        ({"extra_specs": {"hw:video_model": "vmvga"}}, "'vmvga'"),
        ({"extra_specs": {"hw:machine_type": "pc-i440fx-7.2"}}, "'pc-i440fx-7.2'"),
        ({"extra_specs": {"hw:machine_type": "microvm"}}, "'microvm'"),
        ({"extra_specs": {"hw:machine_type": "q35", "hw:disk_bus": "ide"}}, "'ide'.*q35"),
        ({"extra_specs": {"hw:acpi": "maybe"}}, "'maybe'"),
        ({"extra_specs": {"hw:guest_agent": "sure"}}, "'sure'"),
        ({"graphics": "rdp"}, "'rdp'"),
        ({"virt_type": "xen"}, "'xen'"),
        ({"vcpus": 0}, "vCPU"),
        ({"console_address": "0.0.0.0 -vnc"}, "'0.0.0.0 -vnc'"),
        ({"console_address": ""}, "console address ''"),
    ],
)
def test_bad_specs_raise_policy_error_naming_the_value(changes, named):
    with pytest.raises(PolicyError, match=named):
        build_domain(spec(**changes))


def test_policy_error_is_a_value_error_with_the_choices():
    with pytest.raises(ValueError, match="hw:disk_bus.*virtio, sata, scsi, ide"):
        build_domain(spec(extra_specs={"hw:disk_bus": "nvme"}))


def test_unrelated_extra_specs_are_ignored():
    plain = build_domain(spec())
    assert build_domain(spec(extra_specs={"quota:cpu_shares": "1024", "aggregate:ssd": "true"})) == plain
