"""Building an instance: the create page and form, spawn (config drive, root disk, NUMA
placement, firewall) and delete with everything it left on the host."""
