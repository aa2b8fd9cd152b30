"""Images of instances on the hosts: the image cache (an image's files copied once into each
host's image pool) and its cleanup, an operation per host (manage.py manage_image_cache queues it)."""
