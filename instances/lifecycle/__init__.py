"""The life of an instance: start, shut down, reboot, pause, suspend, NMI, autostart (the buttons
of the action table and their operations), and its guests started again when their host comes back."""
