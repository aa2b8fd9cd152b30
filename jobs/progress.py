"""Progress of byte transfers inside an operation."""


def transfer_progress(report, label: str, *, start: int, end: int):
    """A progress(done, total) callback for `report`: whole percents from `start` to `end`, each
    reported once, with "<label> N of M MiB"."""
    last = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = start + ((end - start) * done // total if total else end - start)
        if percent != last["percent"]:
            last["percent"] = percent
            report(percent, f"{label} {done // 1024**2} of {total // 1024**2} MiB")

    return progress
