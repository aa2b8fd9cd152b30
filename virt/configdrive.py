"""NoCloud config drive: an ISO 9660 image labelled "cidata" holding meta-data and user-data.

Both files are YAML written by yaml.safe_dump, so any value (quotes, newlines, unicode) reaches
cloud-init exactly as given. The image carries Joliet and Rock Ridge names, so a guest sees the
file names "meta-data" and "user-data" as they are spelled.
"""

import io
import re
from dataclasses import dataclass

import pycdlib
import yaml

VOLUME_LABEL = "cidata"
CLOUD_CONFIG_HEADER = "#cloud-config\n"
# name as the guest sees it (Rock Ridge, Joliet) → the plain ISO 9660 name (d-characters only)
_FILES = {"meta-data": "/META_DATA.;1", "user-data": "/USER_DATA.;1"}
_PERMISSIONS = re.compile(r"0?[0-7]{3,4}")


@dataclass(frozen=True)
class InjectedFile:
    path: str
    content: str
    permissions: str = "0644"


def _dump(document: dict) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _check(instance_id: str, hostname: str, files: tuple[InjectedFile, ...]) -> None:
    if not instance_id.strip() or not hostname.strip():
        raise ValueError("a config drive needs an instance id and a hostname")
    for injected in files:
        if not injected.path.startswith("/"):
            raise ValueError(f"injected file path {injected.path!r} is not absolute")
        if not _PERMISSIONS.fullmatch(injected.permissions):
            raise ValueError(f"injected file permissions {injected.permissions!r} are not an octal mode like 0644")


def meta_data(*, instance_id: str, hostname: str) -> str:
    return _dump({"instance-id": instance_id, "local-hostname": hostname})


def user_data(
    *, hostname: str, admin_password: str = "", ssh_keys: tuple[str, ...] = (), files: tuple[InjectedFile, ...] = ()
) -> str:
    """The #cloud-config document: hostname, SSH keys, root password and injected files."""
    document: dict = {"hostname": hostname, "ssh_authorized_keys": list(ssh_keys)}
    if admin_password:
        root = {"name": "root", "password": admin_password, "type": "text"}
        document["chpasswd"] = {"expire": False, "users": [root]}
        document["ssh_pwauth"] = True
    if files:
        document["write_files"] = [
            {"path": item.path, "content": item.content, "permissions": item.permissions} for item in files
        ]
    return CLOUD_CONFIG_HEADER + _dump(document)


def build_nocloud_iso(
    *,
    instance_id: str,
    hostname: str,
    admin_password: str = "",
    ssh_keys: tuple[str, ...] = (),
    files: tuple[InjectedFile, ...] = (),
) -> bytes:
    """The config drive image, ready to be uploaded as a raw volume and attached as a CD-ROM."""
    _check(instance_id, hostname, files)
    contents = {
        "meta-data": meta_data(instance_id=instance_id, hostname=hostname),
        "user-data": user_data(hostname=hostname, admin_password=admin_password, ssh_keys=ssh_keys, files=files),
    }
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=VOLUME_LABEL)
    for name, text in contents.items():
        data = text.encode("utf-8")
        iso.add_fp(io.BytesIO(data), len(data), _FILES[name], rr_name=name, joliet_path=f"/{name}")
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()
