"""Reading a NoCloud config drive back (pycdlib), to check what spawn and virt.configdrive wrote."""

import io

import pycdlib
import yaml

from virt.configdrive import _FILES, CLOUD_CONFIG_HEADER


def _read_file(iso: pycdlib.PyCdlib, name: str) -> str:
    out = io.BytesIO()
    if iso.has_rock_ridge():
        iso.get_file_from_iso_fp(out, rr_path=f"/{name}")
    elif iso.has_joliet():
        iso.get_file_from_iso_fp(out, joliet_path=f"/{name}")
    else:
        iso.get_file_from_iso_fp(out, iso_path=_FILES[name])
    return out.getvalue().decode("utf-8")


def read_nocloud_iso(data: bytes) -> dict:
    """{"meta-data": {...}, "user-data": {...}} parsed back from a NoCloud image."""
    iso = pycdlib.PyCdlib()
    try:
        iso.open_fp(io.BytesIO(data))
    except pycdlib.pycdlibexception.PyCdlibException as error:
        raise ValueError(f"not an ISO 9660 image: {error}") from error
    try:
        meta, user = _read_file(iso, "meta-data"), _read_file(iso, "user-data")
    except pycdlib.pycdlibexception.PyCdlibException as error:
        raise ValueError(f"not a NoCloud config drive: {error}") from error
    finally:
        iso.close()
    if user.partition("\n")[0].strip() != CLOUD_CONFIG_HEADER.strip():
        raise ValueError("user-data does not start with the #cloud-config header")
    return {"meta-data": yaml.safe_load(meta) or {}, "user-data": yaml.safe_load(user) or {}}
