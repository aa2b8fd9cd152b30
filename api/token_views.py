"""Your API tokens page: the tokens you made (never their secret), a form for a new one — whose
secret is shown once, on the page that answers the form — and Revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from api.models import ApiToken
from api.token_forms import TokenForm
from audit.models import AuditAction
from audit.services import record
from config.forms import posted


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request):
    form, secret = TokenForm(posted(request), user=request.user), ""
    if form.is_valid():
        data = form.cleaned_data
        token, secret = ApiToken.issue(user=request.user, name=data["name"], read_only=data["read_only"],
                                       expires=data["expires"], hosts=data["hosts"])  # fmt: skip
        record(action=AuditAction.TOKEN_ADD, request=request, object_type="api token", object_id=str(token.pk),
               object_name=token.name, detail=_limits(token))  # fmt: skip
        form = TokenForm(user=request.user)
    mine = ApiToken.objects.filter(user=request.user).prefetch_related("hosts")
    response = render(request, "api/tokens.html", {"form": form, "tokens": mine, "secret": secret})
    response["Cache-Control"] = "no-store"  # the page that shows a secret is never kept
    return response


@require_POST
@login_required
def revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked is None:
        ApiToken.objects.filter(pk=token.pk).update(revoked=timezone.now())
        record(action=AuditAction.TOKEN_REVOKE, request=request, object_type="api token", object_id=str(token.pk),
               object_name=token.name)  # fmt: skip
        messages.success(request, f"The API token {token.name!r} is revoked: it is refused from now on.")
    return redirect("api-tokens")


def _limits(token: ApiToken) -> str:
    hosts = ", ".join(host.name for host in token.hosts.all())
    parts = ("read-only" if token.read_only else "", f"hosts: {hosts}" if hosts else "",
             f"expires {token.expires:%Y-%m-%d}" if token.expires else "")  # fmt: skip
    return ", ".join(part for part in parts if part)
