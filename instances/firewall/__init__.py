"""The firewall of an instance's NICs: its own network filter (lvc-instance-<uuid>, built on a
filter of the host) put on a NIC or taken off. At spawn, the flavor's lvc:firewall does it (build)."""
