"""get_console_output: fetch the tail of an instance's serial log into a private transfer file."""

from django.conf import settings
from django.urls import reverse

from instances.operation_support import on_instance
from jobs.registry import OperationFailed, operation
from storage import transfers
from virt.logs import read_tail


@operation("instance.console_log", label="Fetch console log", action="console")
def fetch_console_log(op, report):
    max_bytes = min(int(op.params.get("max_bytes", settings.CONSOLE_LOG_MAX_BYTES)), settings.CONSOLE_LOG_MAX_BYTES)
    with on_instance(op, report, "Reading the console log", need_guest=False) as ctx:
        path = (ctx.instance.details or {}).get("serial_log", "")
        if not path:
            raise OperationFailed(f"{ctx.instance} keeps no serial log (no <log> on its serial port).")
        data, size = read_tail(ctx.conn, path, max_bytes=max_bytes)
    transfers.sweep()
    token = transfers.save_bytes(data)
    return {
        "url": reverse("console-log", args=[ctx.instance.pk]),
        "link_text": "Console log",
        "file": token,
        "bytes": len(data),
        "size": size,
        "truncated": size > len(data),
        "message": f"Read the last {len(data)} of {size} bytes",
    }
