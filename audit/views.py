"""The audit page: every entry, newest first, filtered and searched; for auditors only."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.forms import AuditFilterForm
from audit.models import AuditEntry
from config.paging import page_of

PAGE_SIZE = 50


@require_GET
@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
def audit_list(request):
    form = AuditFilterForm(request.GET)
    form.is_valid()  # invalid fields are shown with their error and left out of the filter
    entries = form.filter(AuditEntry.objects.all())
    page = page_of(entries, PAGE_SIZE, request)
    return render(request, "audit/audit_list.html", {"form": form, "page": page})
