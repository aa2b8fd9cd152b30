"""Disks of an instance: attach a pool volume, detach, grow, swap the volume under a running disk, CD-ROM media."""
