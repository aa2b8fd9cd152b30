"""The Images page: the catalog, an upload from the browser (with progress: static/js/upload.js),
and an import from a URL (an operation on the worker)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from audit.models import AuditAction
from audit.services import record
from config.forms import posted
from instances.images.forms import ImageImportForm, ImageUploadForm
from instances.models import Image
from jobs.services import NoWorker, start_operation


@require_GET
@login_required
def image_list(request):
    """For who may see images or make instances from them (operators choose one on the create page)."""
    if not (request.user.has_perm("instances.view_image") or request.user.has_perm("instances.add_instance")):
        raise PermissionDenied("You may not see the images.")
    images = Image.objects.annotate(instance_count=Count("instances")).order_by("name")
    return render(request, "instances/images/list.html", {"images": images})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("instances.add_image", raise_exception=True)
def image_upload(request):
    form = ImageUploadForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        image = form.save()
        record(action=AuditAction.IMAGE_ADD, request=request, obj=image, detail="uploaded from the browser")
        messages.success(request, f"Image {image} added.")
        return redirect("image-list")
    return render(request, "instances/images/upload.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("instances.add_image", raise_exception=True)
def image_import(request):
    form = ImageImportForm(posted(request))
    if request.method == "POST" and form.is_valid():
        params = form.params()
        try:
            op = start_operation(kind="image.import", target_type="image", target_name=params["name"],
                                 user=request.user, params=params)  # fmt: skip
        except NoWorker as error:
            messages.error(request, str(error))
        else:
            return redirect("operation-detail", pk=op.pk)
    return render(request, "instances/images/import.html", {"form": form})
