"""NoCloud config drive: what goes in comes back out, labelled cidata, with hostile values intact."""

import io
import shutil
import subprocess

import pycdlib
import pytest

from tests.support.configdrive import read_nocloud_iso
from virt.configdrive import InjectedFile, build_nocloud_iso

KEYS = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm0b2V5 ops@example", "ssh-rsa AAAAB3NzaC1yc2E= backup")
HOSTILE = 'x\' "y"\n- root: owned\n#cloud-config\n&a *a !!python/object:os.system <b>&amp;</b> ü ☃ \t: '


def open_iso(data: bytes) -> pycdlib.PyCdlib:
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(data))
    return iso


def raw_file(data: bytes, name: str) -> str:
    iso = open_iso(data)
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, rr_path=f"/{name}")
    iso.close()
    return out.getvalue().decode("utf-8")


def test_values_read_back_equal():
    files = (InjectedFile("/etc/motd", "hello\n"), InjectedFile("/root/run.sh", "#!/bin/sh\necho hi\n", "0755"))
    data = build_nocloud_iso(instance_id="9f1c", hostname="web-1", admin_password="pw", ssh_keys=KEYS, files=files)
    assert read_nocloud_iso(data) == {
        "meta-data": {"instance-id": "9f1c", "local-hostname": "web-1"},
        "user-data": {
            "hostname": "web-1",
            "ssh_authorized_keys": list(KEYS),
            "chpasswd": {"expire": False, "users": [{"name": "root", "password": "pw", "type": "text"}]},
            "ssh_pwauth": True,
            "write_files": [
                {"path": "/etc/motd", "content": "hello\n", "permissions": "0644"},
                {"path": "/root/run.sh", "content": "#!/bin/sh\necho hi\n", "permissions": "0755"},
            ],
        },
    }


def test_without_a_password_there_is_no_chpasswd_and_no_password_ssh():
    user = read_nocloud_iso(build_nocloud_iso(instance_id="i", hostname="h"))["user-data"]
    assert user == {"hostname": "h", "ssh_authorized_keys": []}


def test_user_data_starts_with_the_cloud_config_header():
    text = raw_file(build_nocloud_iso(instance_id="i", hostname="h", admin_password="p"), "user-data")
    assert text.startswith("#cloud-config\n")


def test_volume_label_and_file_names_are_what_cloud_init_looks_for(tmp_path):
    data = build_nocloud_iso(instance_id="i", hostname="h")
    iso = open_iso(data)
    assert iso.pvd.volume_identifier.rstrip(b" ") == b"cidata"
    assert iso.joliet_vd.volume_identifier.decode("utf-16-be").rstrip() == "cidata"
    rock_ridge = {child.rock_ridge.name() for child in iso.list_children(rr_path="/") if child.rock_ridge}
    joliet = {child.file_identifier().decode("utf-16-be") for child in iso.list_children(joliet_path="/")}
    iso.close()
    assert {b"meta-data", b"user-data"} <= rock_ridge
    assert {"meta-data", "user-data"} <= joliet
    blkid = shutil.which("blkid")
    if blkid is None:
        pytest.fail("blkid (util-linux) is missing; it is how cloud-init finds the drive")
    image = tmp_path / "config.iso"
    image.write_bytes(data)
    label = subprocess.run([blkid, "-o", "value", "-s", "LABEL", str(image)], capture_output=True, text=True)
    assert label.stdout.strip() == "cidata"


def test_hostile_values_round_trip_without_injecting_keys():
    files = (InjectedFile(f"/etc/{HOSTILE.splitlines()[0]}", HOSTILE + "\n---\nssh_pwauth: true\n"),)
    data = build_nocloud_iso(
        instance_id=HOSTILE, hostname=HOSTILE, admin_password=HOSTILE, ssh_keys=(HOSTILE,), files=files
    )
    back = read_nocloud_iso(data)
    assert back["meta-data"] == {"instance-id": HOSTILE, "local-hostname": HOSTILE}
    user = back["user-data"]
    assert set(user) == {"hostname", "ssh_authorized_keys", "chpasswd", "ssh_pwauth", "write_files"}
    assert user["hostname"] == HOSTILE and user["ssh_authorized_keys"] == [HOSTILE]
    assert user["chpasswd"]["users"] == [{"name": "root", "password": HOSTILE, "type": "text"}]
    assert user["write_files"] == [{"path": files[0].path, "content": files[0].content, "permissions": "0644"}]


def test_no_password_and_hostile_hostname_cannot_turn_on_password_ssh():
    user = read_nocloud_iso(build_nocloud_iso(instance_id="i", hostname="h\nssh_pwauth: true"))["user-data"]
    assert "ssh_pwauth" not in user and user["hostname"] == "h\nssh_pwauth: true"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"instance_id": "", "hostname": "h"}, "instance id"),
        ({"instance_id": "i", "hostname": " "}, "hostname"),
        ({"instance_id": "i", "hostname": "h", "files": (InjectedFile("etc/x", ""),)}, "'etc/x'"),
        ({"instance_id": "i", "hostname": "h", "files": (InjectedFile("/x", "", "rwx"),)}, "'rwx'"),
    ],
)
def test_bad_input_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_nocloud_iso(**kwargs)


def test_reading_refuses_user_data_without_the_header():
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="cidata")
    for name, text in (("meta-data", b"instance-id: i\n"), ("user-data", b"hostname: h\n")):
        iso.add_fp(io.BytesIO(text), len(text), f"/{name.upper().replace('-', '_')}.;1", rr_name=name)
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    with pytest.raises(ValueError, match="#cloud-config"):
        read_nocloud_iso(out.getvalue())


def test_reading_refuses_what_is_not_an_iso():
    with pytest.raises(ValueError, match="ISO 9660"):
        read_nocloud_iso(b"\0" * 70000)
