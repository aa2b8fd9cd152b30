"""The raw floor of bench/pages.py: the console's own settings, with its pages plus an empty view
(floor_urls), served by the same server as the pages. Used as DJANGO_SETTINGS_MODULE with bench/
on the path."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
