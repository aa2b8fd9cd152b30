"""Images: the Images page (views.py, forms.py: an upload from the browser with progress, an
import from a URL — importing.py, an operation on the worker), the image cache (an image's files
copied once into each host's image pool) and its cleanup, an operation per host (manage.py
manage_image_cache queues it)."""
