"""What the runner tells whoever listens (the audit log does), without knowing who that is."""

from django.dispatch import Signal

# sender=Operation; operation=the row, reason=why its user may no longer run it (jobs.authority).
operation_refused = Signal()
# sender=Operation; operation_id=the row's id, finished (succeeded or failed) just now.
operation_finished = Signal()
