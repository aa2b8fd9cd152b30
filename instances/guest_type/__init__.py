"""The domain type of new guests: VIRT_TYPE, or for "auto" KVM only on hosts where a probe guest
proved that it works (remembered per host, shown on the host page, probed again on request)."""
