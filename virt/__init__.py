"""The only package that talks to libvirt. Django-free: callers pass URIs and get plain values."""
