from tests.support.fact_hosts import *  # noqa: F403  (hosts and an instance with the monitor's facts)
