from tests.support.instances import *  # noqa: F403  (the real host, the tiny image and flavor)
