"""The REST API (/api/v1/): the pages' services and access rule behind Django REST framework, with
per-user API tokens."""
