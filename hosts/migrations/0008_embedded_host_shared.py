"""The embedded test host moves from test:///default (a state per process) to test+unix:///default
(the local libvirtd's one state, shared by the web, worker and monitor processes)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Host = apps.get_model("hosts", "Host")
    if not Host.objects.filter(uri="test+unix:///default").exists():
        Host.objects.filter(name="Embedded test host", uri="test:///default").update(uri="test+unix:///default")


class Migration(migrations.Migration):
    dependencies = [("hosts", "0007_host_kvm_probe")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
