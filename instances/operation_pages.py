"""The page every device operation uses: a form (or a confirmation) on GET, the operation queued
on a valid POST, then the operation's page; a busy instance or no worker is a message."""

from django.contrib import messages
from django.shortcuts import redirect, render

from instances.services import Busy, request_operation
from jobs.services import NoWorker


def operation_page(request, instance, *, form, kind: str, title: str, submit: str, text: str = "",
                   subject: str = "", params: dict | None = None):  # fmt: skip
    """Render the form; on a valid POST queue `kind` with `params` plus the form's. `subject`
    is a line about the device concerned."""
    if request.method == "POST" and (form is None or form.is_valid()):
        params = {**(form.params() if form else {}), **(params or {})}
        try:
            op = request_operation(instance=instance, kind=kind, user=request.user, params=params)
        except (Busy, NoWorker) as error:
            messages.error(request, str(error))
            return redirect("instance-detail", pk=instance.pk)
        return redirect("operation-detail", pk=op.pk)
    context = {"instance": instance, "form": form, "title": title, "submit": submit, "text": text, "subject": subject}
    return render(request, "instances/operation_form.html", context)
