"""Through the guest agent of an instance: quiesce, unquiesce (buttons of the action table) and
set a user's password (a form)."""
