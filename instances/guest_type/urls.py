"""Probe KVM again (under instances/)."""

from django.urls import path

from instances.guest_type import views

urlpatterns = [
    path("probe-kvm/<int:host_pk>/", views.probe_kvm, name="host-probe-kvm"),
]
