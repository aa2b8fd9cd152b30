from tests.support.fact_hosts import *  # noqa: F403  (hosts and an instance with the monitor's facts)
from tests.support.instances import *  # noqa: F403  (the real host, the tiny image and flavor)
