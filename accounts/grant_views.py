"""Grants on a simple page (superusers): who may see or operate which host or instance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.grant_forms import GrantForm
from accounts.models import Grant
from audit.models import AuditAction
from audit.services import record
from config.forms import posted


def require_superuser(user) -> None:
    if not user.is_superuser:
        raise PermissionDenied("Only administrators manage grants.")


def _only_superusers(view):
    def wrapped(request, *args, **kwargs):
        require_superuser(request.user)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def add_grant(request, form: GrantForm) -> Grant:
    """The valid form's grant, saved as the request's user's and audited (the page and the API)."""
    grant = form.save(commit=False)
    grant.created_by = request.user
    grant.save()
    _audit(request, AuditAction.GRANT_ADD, grant)
    return grant


def remove_grant(request, grant: Grant) -> None:
    _audit(request, AuditAction.GRANT_REMOVE, grant)
    grant.delete()


@require_http_methods(["GET", "POST"])
@_only_superusers
def grant_list(request):
    form = GrantForm(posted(request))
    if request.method == "POST" and form.is_valid():
        grant = add_grant(request, form)
        messages.success(request, f"Granted: {grant}.")
        return redirect("grant-list")
    grants = Grant.objects.select_related("user", "group", "host", "instance", "created_by")
    page = Paginator(grants, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/grants.html", {"form": form, "page": page})


@require_POST
@_only_superusers
def grant_delete(request, pk: int):
    grant = get_object_or_404(Grant, pk=pk)
    remove_grant(request, grant)
    messages.success(request, f"Removed: {grant}.")
    return redirect("grant-list")


def _audit(request, action: AuditAction, grant: Grant) -> None:
    record(action=action, user=request.user, object_type="grant", object_id=str(grant.pk),
           object_name=str(grant), request=request)  # fmt: skip
