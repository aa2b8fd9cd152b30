"""Charts and history: rates from the counters the monitor reads, kept round-robin."""
