"""Network interfaces (NICs) of an instance: attach on a network or bridge, detach, link up/down.

URL names and operation kinds keep their first name, "interface" (interface-attach,
instance.attach_interface): links and stored operations refer to them."""
