"""Live migration: a running instance moves to another host, checked first, with progress and abort."""
