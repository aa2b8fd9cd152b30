"""Choosing kvm or qemu for a new guest by evidence, and the host operation that probes again."""

from django.conf import settings
from django.utils import timezone

from hosts.models import Host
from hosts.operation_support import host_connection, target_host
from instances.images.cache import cache_image
from instances.models import Image
from jobs.registry import operation
from virt.errors import VirtError
from virt.kvm_probe import ProbeResult, kernel_boots

NO_KERNEL = ("not proven: no image has a Linux kernel to boot a probe guest with (add one, such as the demo image, "
             "or set VIRT_TYPE=kvm to use KVM unproven)")  # fmt: skip


def virt_type_for(conn, host: Host, report=None) -> str:
    """VIRT_TYPE, or for "auto": kvm where the host offers it and a probe guest booted under it
    (probed the first time a guest is made there), else qemu (TCG)."""
    if settings.VIRT_TYPE != "auto":
        return settings.VIRT_TYPE
    if not host.offers_kvm:
        return "qemu"
    usable = Host.objects.filter(pk=host.pk).values_list("kvm_usable", flat=True).first()
    if usable is None:
        if report:
            report(
                65, f"Proving that KVM works on {host} (a probe guest boots, {settings.KVM_PROBE_TIMEOUT:g} s at most)"
            )
        usable = probe_kvm(conn, host)
    return "kvm" if usable else "qemu"


def probe_kvm(conn, host: Host) -> bool:
    """Boot a probe guest under KVM on the host's copy of an image's kernel; remember and return
    whether its kernel started, with the reason in words."""
    image = Image.objects.exclude(kernel="").order_by("pk").first()
    if image is None:
        usable, note = False, NO_KERNEL
    else:
        kernel = cache_image(conn, host, image, roles=("kernel",))["kernel"]
        timeout = settings.KVM_PROBE_TIMEOUT
        try:
            result = kernel_boots(conn, host.uri, virt_type="kvm", kernel=kernel, timeout=timeout,
                                  credentials=host.credentials())  # fmt: skip
        except VirtError as error:  # e.g. /dev/kvm not usable by QEMU: libvirt refuses to start it
            result = ProbeResult(booted=False, seconds=0, last_line="", refused=str(error))
        usable = result.booted
        if result.refused:
            note = f"a probe guest could not be started under KVM: {result.refused}"[:500]
        elif usable:
            note = f"a probe guest's kernel ({image}) started under KVM in {result.seconds:g} s"
        else:
            last = result.last_line[:200]
            said = f"its console last said “{last}”" if last else "its console stayed empty"
            note = f"a probe guest's kernel ({image}) did not start under KVM within {timeout:g} s ({said})"
    Host.objects.filter(pk=host.pk).update(kvm_usable=usable, kvm_note=note, kvm_probed=timezone.now())
    return usable


@operation("host.probe_kvm", label="Probe KVM")
def probe_kvm_again(op, report):
    host = target_host(op)
    if not host.offers_kvm:
        Host.objects.filter(pk=host.pk).update(kvm_usable=False, kvm_note="this host does not offer KVM",
                                               kvm_probed=timezone.now())  # fmt: skip
        return {"message": "This host does not offer KVM: its guests run under QEMU (TCG)"}
    doing = f"Booting a probe guest under KVM (at most {settings.KVM_PROBE_TIMEOUT:g} s)"
    with host_connection(op, report, doing) as conn:
        usable = probe_kvm(conn, host)
    note = Host.objects.get(pk=host.pk).kvm_note
    return {"message": f"KVM {'works' if usable else 'is not used'}: {note}"[:255]}
