"""Prometheus metrics at /metrics: the fleet's hosts and instances from what the monitor already
read (the database and the counters it keeps in Redis: no libvirt call), and the console's own health."""
