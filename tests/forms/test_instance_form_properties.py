"""Bad input, property-based (hypothesis), for the instance create and rescue forms: hostile names, huge and
malformed values, unicode, XML metacharacters and missing fields either give readable errors or
data that follows the console's rules. Through the views: never a 500, nothing half-applied."""

import base64
import posixpath

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from hosts.models import HostStatus
from instances.build.forms import MAX_FILE_BYTES, InstanceCreateForm, check_ssh_key
from instances.models import Image, Instance
from instances.rescue.forms import RescueForm
from tests.forms.support import (
    TAKEN,
    assert_name_rule,
    assert_refused_readably,
    boolean_text,
    examples,
    hostile_text,
    model_choice,
    name_like,
    no_control,
    optional_fields,
    post_unchanged,
    real_ids,
    ssh_key,
    with_real_ids,
)

pytestmark = pytest.mark.django_db


# --- Instances -------------------------------------------------------------------------------------

ssh_keys_text = st.one_of(
    st.just(ssh_key()),
    st.just(ssh_key("ssh-rsa")),  # its data names ssh-rsa, but it holds an ed25519-sized blob: still the type matches
    st.just(f"{ssh_key()}\n{ssh_key(comment='')}\n\n"),
    st.just("ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x07ssh-rsa").decode()),
    st.just("ssh-ed25519 not*base64"),
    st.just("\n".join([ssh_key()] * 51)),
    st.builds(lambda comment: ssh_key(comment=comment), hostile_text),
    hostile_text,
)
instance_data = optional_fields(
    host=model_choice,
    name=st.one_of(name_like, st.sampled_from(TAKEN)),
    flavor=model_choice,
    image=model_choice,
    networks=st.lists(st.one_of(st.sampled_from(["default", "isolated", "missing"]), hostile_text), max_size=3),
    admin_password=hostile_text,
    ssh_keys=ssh_keys_text,
    file_path=st.one_of(
        st.sampled_from(
            [
                "/etc/motd",
                "/etc/../shadow",
                "etc/motd",
                "/",
                "//etc",
                "/etc/",
                "/a/./b",
                "/\x00",
                "/a\nb",
                "/" + "a" * 300,
            ]
        ),
        hostile_text,
    ),
    file_content=st.one_of(st.just("x" * (MAX_FILE_BYTES + 1)), st.just("é" * (MAX_FILE_BYTES // 2 + 1)), hostile_text),
    start=boolean_text,
)


@examples(400)
@given(data=instance_data, ids=real_ids)
def test_instance_create_form(world, data, ids):
    form = InstanceCreateForm(with_real_ids(data, world, ids), user=world["admin"])
    if not form.is_valid():
        return assert_refused_readably(form)
    cleaned = form.cleaned_data
    assert_name_rule(cleaned["name"])
    assert cleaned["host"] == world["alpha"] and cleaned["host"].status == HostStatus.UP
    assert not Instance.objects.filter(host=cleaned["host"], name=cleaned["name"]).exists()
    assert set(cleaned["networks"]) <= {"default", "isolated"}
    assert no_control(cleaned["admin_password"]) and len(cleaned["admin_password"]) <= 200
    assert len(cleaned["ssh_keys"]) <= 50 and all(check_ssh_key(key) == key for key in cleaned["ssh_keys"])
    for path, content in form.injected_files():
        assert path.startswith("/") and ".." not in path.split("/") and no_control(path)
        assert posixpath.normpath(path) == path and path != "/"
        assert "\x00" not in content and len(content.encode()) <= MAX_FILE_BYTES and "\r\n" not in content
    if cleaned["file_content"]:
        assert cleaned["file_path"]


@examples(150)
@given(data=optional_fields(image=model_choice), own=st.booleans(), real=st.booleans())
def test_rescue_form(world, data, own, real):
    instance = world["instance" if own else "bare"]
    form = RescueForm({**data, "image": str(world["image"].pk)} if real else data, instance=instance)
    if not form.is_valid():
        return assert_refused_readably(form)
    params = form.params()
    if real or not own:  # an instance without its own image needs a chosen one
        assert params and Image.objects.filter(pk=params["image_id"]).exists()
    if real:
        assert params == {"image_id": world["image"].pk}
    if not params:
        assert own and not data.get("image")


@examples(100)
@given(data=instance_data, ids=real_ids)
def test_instance_create_view(admin_client, world, data, ids):
    post_unchanged(admin_client, reverse("instance-create"), with_real_ids(data, world, ids))


@examples(100)
@given(data=optional_fields(image=model_choice), own=st.booleans())
def test_rescue_view(admin_client, world, data, own):
    instance = world["instance" if own else "bare"]
    post_unchanged(admin_client, reverse("instance-action", args=[instance.pk, "rescue"]), data)
