from tests.support.instances import *  # noqa: F403  (the instance fixtures)
