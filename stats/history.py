"""Round-robin history, like RRD: one fixed-size file per chart (a host, an instance, one of its
disks or NICs) holding n series in three archives — every sample for 1 hour, 1-minute averages and
maxima for 24 hours, 30-minute averages and maxima for 30 days. A file never grows; the newest row
of a slot overwrites the oldest. Each row carries its time, so a slot left from an earlier lap (a
gap) is told apart and never shown.

Files are sparse until written: at 10 s samples, a file of n series takes
4 + 4n bytes x 360 rows + 2 x (4 + 8n) bytes x 1440 rows (2 series: 62 KB, 4 series: 111 KB).
Only the monitor writes (one writer per file); pages read."""

import math
import os
import re
import struct
from pathlib import Path

from django.conf import settings

MAGIC = b"LVCR"
HEADER = struct.Struct("<4sHHI")  # magic, version, series, step (s)
HEADER_SIZE = 16
VERSION = 1
MINUTE, HALF_HOUR = 60, 1800
ROWS = 1440  # of each consolidated archive: 24 h of minutes, 30 d of half hours
RANGES = {"1h": 0, "24h": 1, "30d": 2}  # a chart's range -> its archive
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,200}")
NAN = float("nan")


def stats_dir() -> Path:
    directory = Path(settings.STATS_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def path_for(key: str) -> Path:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a history key: {key!r}")
    return stats_dir() / f"{key}.rrd"


def remove(prefix: str) -> None:
    """Remove the files of `prefix` and of what belongs to it (an instance and its devices)."""
    path_for(prefix)  # the prefix must be a key
    for path in stats_dir().glob(f"{prefix}*.rrd"):
        if path.stem == prefix or path.stem.startswith(f"{prefix}-"):
            path.unlink(missing_ok=True)


class History:
    """The round-robin file of one chart: n series sampled every `step` seconds."""

    def __init__(self, key: str, series: int, step: int | None = None):
        self.path, self.series = path_for(key), series
        self.step = int(step or settings.STATS_INTERVAL)
        self.rows0 = max(1, 3600 // self.step)
        self.row = [struct.Struct(f"<I{series}f"), struct.Struct(f"<I{2 * series}f"), struct.Struct(f"<I{2 * series}f")]
        self.resolution = [self.step, MINUTE, HALF_HOUR]
        self.count = [self.rows0, ROWS, ROWS]
        self.offset = [HEADER_SIZE, HEADER_SIZE + self.rows0 * self.row[0].size]
        self.offset.append(self.offset[1] + ROWS * self.row[1].size)
        self.size = self.offset[2] + ROWS * self.row[2].size

    # --- writing (the monitor) ---------------------------------------------------------------

    def add(self, at: float, values: list) -> None:
        """Record one sample taken at `at` (epoch seconds): None for a value unknown."""
        fd = self._open_for_writing()
        try:
            slot = int(at // self.step)
            self._write(fd, 0, slot, slot * self.step, [NAN if v is None else float(v) for v in values])
            minute = int(at // MINUTE)
            samples = self._rows(fd, 0, -(-minute * MINUTE // self.step), slot)  # the slots of this minute
            self._write(fd, 1, minute, minute * MINUTE, _consolidated([row for _t, row in samples], self.series))
            half = int(at // HALF_HOUR)
            rows = [row for _t, row in self._rows(fd, 1, half * (HALF_HOUR // MINUTE), minute)]
            averages = _consolidated([row[: self.series] for row in rows], self.series)[: self.series]
            maxima = _consolidated([row[self.series :] for row in rows], self.series)[self.series :]
            self._write(fd, 2, half, half * HALF_HOUR, averages + maxima)
        finally:
            os.close(fd)

    def _open_for_writing(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        header = os.pread(fd, HEADER.size, 0)
        if header != HEADER.pack(MAGIC, VERSION, self.series, self.step):  # new, or made for another layout
            os.ftruncate(fd, 0)
            os.ftruncate(fd, self.size)  # sparse: blocks are taken as rows are written
            os.pwrite(fd, HEADER.pack(MAGIC, VERSION, self.series, self.step), 0)
        return fd

    def _write(self, fd: int, archive: int, slot: int, at: int, values: list) -> None:
        position = self.offset[archive] + (slot % self.count[archive]) * self.row[archive].size
        os.pwrite(fd, self.row[archive].pack(at, *values), position)

    def _rows(self, fd: int, archive: int, first: int, last: int) -> list[tuple[int, list]]:
        """(time, values) of the archive's rows for slots first..last that were written in this lap,
        read in at most two runs (the ring wraps)."""
        row, count, resolution = self.row[archive], self.count[archive], self.resolution[archive]
        found, slot = [], max(first, last - count + 1)
        while slot <= last:
            index = slot % count
            run = min(last - slot + 1, count - index)
            data = os.pread(fd, run * row.size, self.offset[archive] + index * row.size)
            for offset, (at, *values) in enumerate(row.iter_unpack(data[: len(data) - len(data) % row.size])):
                if at and at == (slot + offset) * resolution:
                    found.append((at, values))
            slot += run
        return found

    # --- reading (the pages) -----------------------------------------------------------------

    def read(self, chart_range: str, now: float) -> dict:
        """{"step", "times": [...], "average": [[...] per series], "maximum": [...] or None} for the
        range (1h, 24h, 30d) ending `now`: the rows of that span, oldest first; unknown values None."""
        archive = RANGES[chart_range]
        resolution, count = self.resolution[archive], self.count[archive]
        last = int(now // resolution)
        rows = []
        try:
            with open(self.path, "rb") as file:
                if file.read(HEADER.size) == HEADER.pack(MAGIC, VERSION, self.series, self.step):
                    rows = self._rows(file.fileno(), archive, last - count + 1, last)
        except FileNotFoundError:
            pass
        width = self.series if archive == 0 else 2 * self.series
        columns = [[None if math.isnan(row[i]) else row[i] for _t, row in rows] for i in range(width)]
        return {
            "step": resolution,
            "times": [at for at, _row in rows],
            "average": columns[: self.series],
            "maximum": columns[self.series :] or None,
        }


def _consolidated(rows: list[list], series: int) -> list:
    """[averages..., maxima...] of each series over `rows`, leaving out unknown values (NaN)."""
    averages, maxima = [], []
    for index in range(series):
        known = [row[index] for row in rows if not math.isnan(row[index])]
        averages.append(sum(known) / len(known) if known else NAN)
        maxima.append(max(known) if known else NAN)
    return averages + maxima
