"""Rescue: an instance boots a rescue image with its own disk attached; unrescue restores its
definition (buttons of the action table; the form asks for the image)."""
