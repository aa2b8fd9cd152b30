"""Grants: who may see or operate what. A grant gives a user or a group a role (viewer or
operator) on one host (with its instances), on one instance, or on the whole fleet."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer (read only)"
    OPERATOR = "operator", "Operator (operate and open consoles)"


class Grant(models.Model):
    role = models.CharField(max_length=16, choices=Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    host = models.ForeignKey(
        "hosts.Host", null=True, blank=True, on_delete=models.CASCADE, related_name="grants",
        help_text="The host and all its instances. Leave host and instance empty for the whole fleet.",
    )  # fmt: skip
    instance = models.ForeignKey(
        "instances.Instance", null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="grant_to_user_or_group",
            ),
            models.CheckConstraint(condition=Q(host__isnull=True) | Q(instance__isnull=True), name="grant_one_object"),
            models.CheckConstraint(condition=Q(role__in=[c.value for c in Role]), name="grant_role_valid"),
        ]

    def __str__(self):
        return f"{self.get_role_display().split(' ')[0]} on {self.object_label} for {self.subject_label}"

    @property
    def subject_label(self) -> str:
        return f"user {self.user}" if self.user_id else f"group {self.group}"

    @property
    def object_label(self) -> str:
        if self.host_id:
            return f"host {self.host}"
        if self.instance_id:
            return f"instance {self.instance}"
        return "the whole fleet"
