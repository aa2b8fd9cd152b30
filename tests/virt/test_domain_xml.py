"""Domain XML objects and in-place edits: round trips, libvirt's own XML, escaping, safe parsing."""

import libvirt
import pytest
from lxml import etree

from virt.errors import InvalidOperation
from virt.resize import resized_definition
from virt.xml import edit
from virt.xml.domain import Boot, Disk, Domain, Graphics, Interface, Serial, disk_source, parse

UUID = "4b3c9e0a-1f7d-4e8b-9a51-2c6d0e7f8a90"
HOSTILE = 'it\'s "quoted" <b>&amp; </name><evil/> ünïcødé ☃'


def full_domain(**changes) -> Domain:
    fields = dict(
        name="web-1",
        uuid=UUID,
        vcpus=2,
        memory_mib=512,
        type="kvm",
        boot=Boot(kernel="/boot/k", initrd="/boot/i", cmdline="console=ttyS0 root=/dev/vda", machine="q35"),
        disks=[
            Disk(target="vda", source="/var/lib/x/root.qcow2", serial="root-1"),
            Disk(target="sda", device="cdrom", bus="sata", format="raw", readonly=True),
        ],
        interfaces=[
            Interface(type="network", source="default", mac="52:54:00:12:34:56", model="e1000"),
            Interface(
                type="bridge",
                source="br0",
                mac="52:54:00:ab:cd:ef",
                filter="clean-traffic",
                filter_params={"IP": "10.0.0.5"},
            ),
        ],
        graphics=[Graphics(type="vnc", listen="0.0.0.0", port=5901, password="s3cret")],
        serial=Serial(log_file="/var/log/x/console.log"),
        video="virtio",
        acpi=False,
        guest_agent=True,
        on_reboot="destroy",
        description="two\nlines",
    )
    fields.update(changes)
    return Domain(**fields)


@pytest.fixture
def test_driver():
    conn = libvirt.open("test:///default")
    yield conn
    conn.close()


# --- objects -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        full_domain(),
        Domain(name="bare", uuid="", vcpus=1, memory_mib=64),
        full_domain(graphics=[Graphics(type="spice"), Graphics(type="vnc", listen="")], serial=Serial()),
    ],
    ids=["full", "bare", "two-graphics"],
)
def test_domain_round_trips_through_xml(domain):
    assert Domain.from_xml(domain.to_xml()) == domain


def test_domain_writes_the_elements_libvirt_expects():
    root = full_domain().to_element()
    assert root.get("type") == "kvm"
    assert root.find("memory").attrib == {"unit": "MiB"} and root.findtext("memory") == "512"
    assert root.find("os/type").attrib == {"arch": "x86_64", "machine": "q35"}
    assert root.find("features") is None  # acpi off: no empty <features/>
    cdrom = root.find("devices/disk[@device='cdrom']")
    assert cdrom.find("source") is None and cdrom.find("readonly") is not None
    graphics = root.find("devices/graphics")
    assert graphics.attrib == {"type": "vnc", "port": "5901", "autoport": "no", "passwd": "s3cret", "listen": "0.0.0.0"}
    assert root.find("devices/console/target").attrib == {"type": "serial", "port": "0"}
    assert root.find("devices/serial/log").attrib == {"file": "/var/log/x/console.log", "append": "on"}
    assert root.find("devices/interface/target") is None  # read back only
    ref = root.find("devices/interface[@type='bridge']/filterref")
    assert ref.get("filter") == "clean-traffic" and ref.find("parameter").attrib == {"name": "IP", "value": "10.0.0.5"}


def test_autoport_graphics_carry_no_port_and_no_password():
    element = Graphics(type="spice").to_element()
    assert element.attrib == {"type": "spice", "autoport": "yes", "listen": "127.0.0.1"}


def test_hostile_names_and_paths_are_escaped_and_round_trip():
    domain = full_domain(
        name=HOSTILE,
        description=HOSTILE + "\n\t",
        disks=[Disk(target="vda", source=f"/srv/{HOSTILE}.qcow2")],
        boot=Boot(cmdline=HOSTILE),
        serial=Serial(log_file=f"/log/{HOSTILE}"),
    )
    text = domain.to_xml()
    assert "<evil/>" not in text and "&lt;/name&gt;&lt;evil/&gt;" in text
    root = etree.fromstring(text.encode())
    assert root.find(".//evil") is None
    assert root.findtext("name") == HOSTILE
    assert root.find("devices/disk/source").get("file") == f"/srv/{HOSTILE}.qcow2"
    assert Domain.from_xml(text) == domain


def test_reads_the_test_drivers_live_xml(test_driver):
    domain = Domain.from_xml(test_driver.lookupByName("test").XMLDesc(0))
    assert (domain.name, domain.uuid, domain.type) == ("test", "6695eb01-f6a4-8304-79aa-97f2502e193f", "test")
    assert (domain.vcpus, domain.memory_mib, domain.max_memory_mib) == (2, 2048, 8192)  # ballooned to 2 GiB
    assert domain.boot == Boot(arch="i686")
    assert domain.disks == [Disk(target="vda", source="/guest/diskimage1", format="")]
    assert domain.interfaces == [
        Interface(type="network", source="default", mac="aa:bb:cc:dd:ee:ff", model="", target="testnet0")
    ]
    assert (domain.graphics, domain.serial, domain.video, domain.acpi) == ([], None, "", False)


def test_domain_defined_on_the_test_driver_reads_back_equal(test_driver):
    domain = full_domain(name="lvc-xml-roundtrip", graphics=[Graphics(type="spice")])
    defined = test_driver.defineXML(domain.to_xml())
    try:
        back = Domain.from_xml(defined.XMLDesc(0))
    finally:
        defined.undefine()
    for interface in back.interfaces:
        assert interface.target  # libvirt names the host side; we do not write it
        interface.target = ""
    assert back == domain


def domain_element(**children) -> etree._Element:
    """<domain type="kvm"> with <name>m</name> and the given children: tag -> (text, attributes)."""
    root = etree.Element("domain", type="kvm")
    etree.SubElement(root, "name").text = "m"
    for tag, (text, attributes) in children.items():
        etree.SubElement(root, tag, attributes).text = text
    return root


@pytest.mark.parametrize(
    ("amount", "unit", "mib"),
    [
        ("1048576", None, 1024),
        ("2048", "KiB", 2),
        ("300", "MiB", 300),
        ("4", "GiB", 4096),
        ("1", "G", 1024),
        ("268435456", "bytes", 256),
        ("1048576", "b", 1),
        ("1048576", "MB", 1000000),
    ],
)
def test_memory_is_read_with_its_unit(amount, unit, mib):
    root = domain_element(memory=(amount, {"unit": unit} if unit else {}))
    assert Domain.from_element(root).memory_mib == mib


def test_unknown_memory_unit_is_an_error():
    with pytest.raises(ValueError, match="furlongs"):
        Domain.from_xml("<domain><name>m</name><memory unit='furlongs'>1</memory></domain>")


def test_minimal_xml_reads_as_empty_values():
    domain = Domain.from_xml("<domain type='kvm'><name>tiny</name></domain>")
    assert domain == Domain(name="tiny", uuid="", vcpus=1, memory_mib=0, type="kvm", boot=Boot(arch=""), acpi=False)


def test_devices_of_unmodelled_kinds_read_without_failing():
    domain = Domain.from_xml(
        "<domain type='kvm'><name>odd</name><devices>"
        "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"
        "<interface type='direct'><source dev='eth0' mode='bridge'/><model type='virtio'/></interface>"
        "<interface/>"
        "<disk type='network' device='disk'><source protocol='rbd' name='pool/image'/><target dev='vda'/></disk>"
        "<disk/><graphics type='vnc' port='junk'><listen type='socket' socket='/run/vnc'/></graphics>"
        "<serial type='file'><source path='/tmp/s'/></serial><video/><channel type='spicevmc'/>"
        "</devices></domain>"
    )
    assert domain.interfaces == [
        Interface(type="user", source="", mac="52:54:00:00:00:01", model=""),
        Interface(type="direct", source="eth0"),
        Interface(type="", source="", model=""),
    ]
    assert domain.disks == [Disk(target="vda", bus="", format=""), Disk(target="", bus="", format="")]
    assert domain.graphics == [Graphics(type="vnc", listen="", port=-1)]
    assert (domain.serial, domain.video, domain.guest_agent) == (Serial(), "", False)


def test_from_xml_refuses_other_documents():
    with pytest.raises(ValueError, match="network"):
        Domain.from_xml("<network><name>default</name></network>")


def test_parse_resolves_no_entities(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("TOP-SECRET")
    text = f"""<!DOCTYPE domain [<!ENTITY leak SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaaaa">
      <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><domain><name>&leak;&b;</name></domain>"""
    root = parse(text)
    assert "TOP-SECRET" not in etree.tostring(root, encoding="unicode")
    assert "aaaaaaaaaa" not in root.findtext("name")


# --- edits on a fetched tree -------------------------------------------------------------------

FETCHED = f"""<domain type='kvm'>
  <name>fetched</name>
  <uuid>{UUID}</uuid>
  <metadata><app:info xmlns:app="https://example.invalid/app"><app:owner>ops</app:owner></app:info></metadata>
  <memory unit='KiB'>262144</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <cmdline>old</cmdline>
    <boot dev='hd'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/pool/root.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/pool/data.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
      <address type='drive' controller='0' bus='1' target='0' unit='0'/>
    </disk>
    <interface type='network'><source network='default'/></interface>
    <memballoon model='virtio'><stats period='10'/></memballoon>
  </devices>
</domain>"""


@pytest.fixture
def fetched():
    return parse(FETCHED)


def unmodelled(root) -> list[bytes]:
    return [etree.tostring(root.find(path)) for path in ("metadata", "devices/memballoon", "devices/emulator")]


def targets(root) -> list[str]:
    return [disk.find("target").get("dev") for disk in root.iterfind("devices/disk")]


def sources(root) -> list[str]:
    """Host paths of the <disk> sources, in document order (empty CD-ROMs left out)."""
    return [path for path in map(disk_source, root.iterfind("devices/disk")) if path]


def test_set_boot_replaces_kernel_parts_and_keeps_the_rest(fetched):
    before = unmodelled(fetched)
    edit.set_boot(fetched, Boot(kernel="/rescue/k", initrd="/rescue/i"))
    os_ = fetched.find("os")
    assert [child.tag for child in os_] == ["type", "kernel", "initrd", "boot"]
    assert (os_.findtext("kernel"), os_.findtext("initrd")) == ("/rescue/k", "/rescue/i")
    assert os_.find("type").attrib == {"arch": "x86_64", "machine": "pc-i440fx-7.2"}
    assert unmodelled(fetched) == before
    edit.set_boot(fetched, Boot(cmdline="new"))
    assert [child.tag for child in os_] == ["type", "cmdline", "boot"] and os_.findtext("cmdline") == "new"


def test_prepend_disk_renames_same_prefix_disks_up_one_letter(fetched):
    before = unmodelled(fetched)
    edit.prepend_disk(fetched, Disk(target="vda", source="/rescue.qcow2"))
    assert targets(fetched) == ["vda", "vdb", "vdc", "hdc"]
    assert sources(fetched) == ["/rescue.qcow2", "/pool/root.qcow2", "/pool/data.qcow2"]
    (root_disk,) = fetched.xpath("devices/disk[source/@file='/pool/root.qcow2']")
    assert root_disk.find("address[@type='pci']") is not None  # PCI slots do not follow the name
    assert unmodelled(fetched) == before


def test_prepend_disk_drops_the_drive_address_of_renamed_disks(fetched):
    edit.prepend_disk(fetched, Disk(target="hdc", device="cdrom", bus="ide", format="raw"))
    assert targets(fetched) == ["hdc", "vda", "vdb", "hdd"]
    moved = fetched.findall("devices/disk")[-1]
    assert moved.find("address") is None


def test_prepend_disk_leaves_lower_letters_alone():
    root = parse("<domain><devices><disk><target dev='sda'/></disk><disk><target dev='sdc'/></disk></devices></domain>")
    edit.prepend_disk(root, Disk(target="sdb", bus="sata"))
    assert targets(root) == ["sdb", "sda", "sdd"]


def test_set_disk_source_inserts_and_ejects_media(fetched):
    edit.set_disk_source(fetched, "hdc", "/isos/install.iso")
    cdrom = fetched.find("devices/disk[@device='cdrom']")
    assert [child.tag for child in cdrom][:2] == ["driver", "source"]
    assert sources(fetched)[-1] == "/isos/install.iso"
    edit.set_disk_source(fetched, "hdc", "/isos/other.iso")
    assert cdrom.find("source").get("file") == "/isos/other.iso"
    edit.set_disk_source(fetched, "hdc", "")
    assert cdrom.find("source") is None
    assert cdrom.find("address") is not None


def test_set_disk_source_names_a_missing_target(fetched):
    with pytest.raises(LookupError, match="sdz"):
        edit.set_disk_source(fetched, "sdz", "/x.iso")


@pytest.mark.parametrize(
    ("bus", "expected"), [("virtio", "vdc"), ("sata", "sda"), ("scsi", "sda"), ("usb", "sda"), ("ide", "hda")]
)
def test_next_target_skips_used_names(fetched, bus, expected):
    assert edit.next_target(bus, targets(fetched)) == expected


def test_next_target_fills_gaps_and_shares_sd_between_buses():
    used = ("vda", "vdc", "sda", "hda", "hdb")
    assert edit.next_target("virtio", used) == "vdb"
    assert edit.next_target("scsi", used) == "sdb"
    assert edit.next_target("ide", used) == "hdc"


def test_next_target_goes_past_z():
    used = [edit.target_name("vd", index) for index in range(26)]
    assert used[-1] == "vdz"
    assert edit.next_target("virtio", used) == "vdaa"


def test_target_names_and_indexes_are_inverse():
    for index in range(800):
        name = edit.target_name("sd", index)
        assert edit.split_target(name) == ("sd", index)
    assert edit.split_target("xvdb") == ("xvd", 1)
    assert edit.split_target("nvme0n1") is None


def test_next_target_refuses_an_unknown_bus(fetched):
    with pytest.raises(ValueError, match="floppy"):
        edit.next_target("floppy", targets(fetched))


def test_edited_test_driver_xml_is_accepted_by_libvirt(test_driver):
    root = parse(test_driver.lookupByName("test").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    root.find("name").text = "lvc-xml-rescue"
    root.remove(root.find("uuid"))
    edit.prepend_disk(root, Disk(target="vda", source="/rescue/disk.qcow2"))
    edit.set_boot(root, Boot(kernel="/rescue/k", cmdline="rescue"))
    defined = test_driver.defineXML(etree.tostring(root, encoding="unicode"))
    try:
        back = parse(defined.XMLDesc(0))
    finally:
        defined.undefine()
    assert sources(back) == ["/rescue/disk.qcow2", "/guest/diskimage1"]
    assert targets(back) == ["vda", "vdb"]
    assert (back.findtext("os/kernel"), back.findtext("os/cmdline")) == ("/rescue/k", "rescue")
    assert back.find("devices/memballoon").get("model") == "virtio"


def test_a_resized_definition_keeps_the_room_to_grow_its_flavor_gives():
    xml = full_domain(vcpus=1, memory_mib=256).to_xml()
    roomy = etree.fromstring(resized_definition(xml, vcpus=2, memory_mib=512, max_vcpus=4, max_memory_mib=1024,
                                                console_address="127.0.0.1").encode())  # fmt: skip
    assert (roomy.findtext("vcpu"), roomy.find("vcpu").get("current")) == ("4", "2")
    assert (roomy.findtext("memory"), roomy.findtext("currentMemory")) == (str(1024 * 1024), str(512 * 1024))
    tight = etree.fromstring(resized_definition(etree.tostring(roomy, encoding="unicode"), vcpus=2, memory_mib=512,
                                                console_address="127.0.0.1").encode())  # fmt: skip
    assert (tight.findtext("vcpu"), tight.find("vcpu").get("current")) == ("2", None)
    assert tight.findtext("memory") == tight.findtext("currentMemory") == str(512 * 1024)
    with pytest.raises(InvalidOperation, match="placed on NUMA nodes or pinned"):
        pinned = xml.replace("</domain>", "<cputune><vcpupin vcpu='0' cpuset='1'/></cputune></domain>")
        resized_definition(pinned, vcpus=2, memory_mib=512, console_address="127.0.0.1")
