"""image.import: the worker downloads an image's files from http(s) URLs into the file storage
(instances.images.files), with progress in bytes; stoppable. Every file it stores is noted in the
operation's result first, so a failure, an abort or the reaper after a dead worker leaves none
behind; the Image row is made only once every file is complete."""

import contextlib
import socket
import uuid
from urllib.error import URLError
from urllib.request import Request, urlopen

from django.db import IntegrityError
from django.urls import reverse

from audit.models import AuditAction
from audit.services import record
from instances.images import files as image_files
from instances.models import Image
from jobs.models import Operation
from jobs.progress import transfer_progress
from jobs.registry import BULK, OperationFailed, operation
from virt.stopping import Stopped, check, on_stop

CHUNK = 1024 * 1024
TIMEOUT = 30  # seconds without an answer or a byte before a download fails


def remove_written(op) -> str:
    """For the reaper and failures: the files of an import that did not finish."""
    removed = image_files.delete((Operation.objects.get(pk=op.pk).result or {}).get("written", []))
    return f"its {removed} downloaded file(s) were removed" if removed else "nothing downloaded was kept"


def _cut(answer) -> None:
    """Shut the download's socket, so that a read blocked on it returns (an abort)."""
    sock = getattr(getattr(answer.fp, "raw", None), "_sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _download(url: str, file, report, label: str, start: int, end: int) -> int:
    progress = transfer_progress(report, label, start=start, end=end)
    done = 0
    try:
        with urlopen(Request(url, headers={"User-Agent": "libvirt-console"}), timeout=TIMEOUT) as answer:
            total = int(answer.headers.get("Content-Length") or 0)
            with on_stop(lambda: _cut(answer)):
                while chunk := answer.read(CHUNK):
                    check()
                    file.write(chunk)
                    done += len(chunk)
                    progress(done, max(total, done))
    except (URLError, OSError, ValueError) as error:
        check()  # an abort cut the connection under the read
        reason = getattr(error, "reason", error)
        raise OperationFailed(f"Downloading {url} failed: {reason}.") from None
    check()
    if done == 0 or (total and done < total):
        raise OperationFailed(f"{url} sent {done} of {total or 'some'} bytes: the download is incomplete.")
    return done


@operation("image.import", label="Import image", timeout=6 * 3600, stoppable=True, queue=BULK)
def import_image(op, report):
    params = op.params
    urls, written, sizes = params["urls"], [], {}
    tag = uuid.uuid4().hex[:8]
    try:
        for index, (role, url) in enumerate(urls.items()):
            relative = f"images/{params['name']}-{tag}-{role}"
            written.append(relative)
            Operation.objects.filter(pk=op.pk).update(result={"written": written})  # noted before it exists
            share = 90 // len(urls)
            with image_files.receiving(relative) as received:
                sizes[role] = _download(url, received.file, report, f"Downloading the {role}:",
                                        start=index * share, end=(index + 1) * share)  # fmt: skip
            written[-1] = received.name  # (the storage may have made it unique)
            Operation.objects.filter(pk=op.pk).update(result={"written": written})
        report(95, "Recording the image")
        image = Image(name=params["name"], disk_format=params["disk_format"], cmdline=params.get("cmdline", ""))
        for role, relative in zip(urls, written, strict=True):
            getattr(image, role).name = relative
        try:
            image.save()
        except IntegrityError:
            raise OperationFailed(f"An image named {params['name']} was added meanwhile.") from None
        record(
            action=AuditAction.IMAGE_ADD, user=op.user, obj=image, detail="imported from " + ", ".join(urls.values())
        )
    except Stopped as stopped:
        raise Stopped(f"{stopped}; {remove_written(op)}, no image was made") from None
    except BaseException:
        remove_written(op)
        raise
    summary = ", ".join(f"{role} {size / 1024**2:.1f} MiB" for role, size in sizes.items())
    return {"message": f"Imported ({summary})", "url": reverse("image-list"), "link_text": "Images"}
