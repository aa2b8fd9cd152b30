"""Round-robin history, like RRD: one fixed-size file per chart (a host, an instance, one of its
disks or NICs) holding n series in three archives — every sample for 1 hour, 1-minute averages and
maxima for 24 hours, 30-minute averages and maxima for 30 days. A file never grows; the newest row
of a slot overwrites the oldest. Each row carries its time, so a slot left from an earlier lap (a
gap) is told apart and never shown.

Files are sparse until written: at 10 s samples, a file of n series takes
4 + 4n bytes x 360 rows + 2 x (4 + 8n) bytes x 1440 rows (2 series: 62 KB, 4 series: 111 KB).
A sample writes one row; a minute's (half hour's) row is written when the first of its samples
(minutes) is about to be overwritten, and until then a reader works it out from them — so a sample
dirties one page, not three, however many files the fleet's charts need. Only the monitor writes
(one writer per file); pages read."""

import functools
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
    return stats_dir() / _relative_path(key)


def _relative_path(key: str) -> str:
    """`<shard>/<key>.rrd`: the shard is two characters of what follows the key's kind (an
    instance's uuid, a host's number), so an instance's files and its devices' share a folder and
    no folder holds more than a few thousand. (4 processes creating 40,000 files in one folder of
    150,000 took 7-8 s of system time each; in 256 shards 0.6-1.1 s.)"""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a history key: {key!r}")
    shard = "".join(c if c.isalnum() else "_" for c in (key.partition("-")[2] or key)[:2])
    return f"{shard}/{key}.rrd"


def remove(prefix: str) -> None:
    """Remove the files of `prefix` and of what belongs to it (an instance and its devices)."""
    folder = path_for(prefix).parent
    for path in folder.glob(f"{prefix}*.rrd"):
        if path.stem == prefix or path.stem.startswith(f"{prefix}-"):
            path.unlink(missing_ok=True)


def move_into_shards() -> int:
    """Move files of the flat layout (before shards) to where they are looked for now; the
    number moved. Several monitors may run it at once: a file another one moved is skipped."""
    moved, directory = 0, stats_dir()
    for path in directory.glob("*.rrd"):
        target = directory / _relative_path(path.stem)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        try:
            path.rename(target)
            moved += 1
        except FileNotFoundError:
            pass
    return moved


@functools.lru_cache(maxsize=64)
def _layout(series: int, step: int) -> tuple:
    """(rows of the hour ring, row formats, resolutions, row counts, offsets, file size) of the
    three archives: worked out once per shape, not for each of the fleet's samples."""
    rows0 = max(1, 3600 // step)
    row = (struct.Struct(f"<I{series}f"), struct.Struct(f"<I{2 * series}f"), struct.Struct(f"<I{2 * series}f"))
    offset = [HEADER_SIZE, HEADER_SIZE + rows0 * row[0].size]
    offset.append(offset[1] + ROWS * row[1].size)
    return rows0, row, (step, MINUTE, HALF_HOUR), (rows0, ROWS, ROWS), tuple(offset), offset[2] + ROWS * row[2].size


class History:
    """The round-robin file of one chart: n series sampled every `step` seconds."""

    def __init__(self, key: str, series: int, step: int | None = None):
        self.path, self.series = os.path.join(settings.STATS_DIR, _relative_path(key)), series
        self.step = int(step or settings.STATS_INTERVAL)
        self.rows0, self.row, self.resolution, self.count, self.offset, self.size = _layout(series, self.step)

    # --- writing (the monitor) ---------------------------------------------------------------

    def add(self, at: float, values: list) -> None:
        """Record one sample taken at `at` (epoch seconds): None for a value unknown."""
        fd = self._open_for_writing()
        try:
            self._put(fd, 0, int(at // self.step), [NAN if v is None else float(v) for v in values])
        finally:
            os.close(fd)

    def _open_for_writing(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the folders are made on the first write
            stats_dir()
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        header = os.pread(fd, HEADER.size, 0)
        if header != HEADER.pack(MAGIC, VERSION, self.series, self.step):  # new, or made for another layout
            os.ftruncate(fd, 0)
            os.ftruncate(fd, self.size)  # sparse: blocks are taken as rows are written
            os.pwrite(fd, HEADER.pack(MAGIC, VERSION, self.series, self.step), 0)
        return fd

    def _put(self, fd: int, archive: int, slot: int, values: list) -> None:
        """Write the row of `slot`. The row it replaces is first consolidated into the next archive,
        unless that was done already: a coarser row is written once, when the first of its finer
        rows is about to go (so a sample dirties one page of the file, not three)."""
        if archive < 2:
            replaced = self._time_at(fd, archive, slot)
            if replaced and replaced // self.resolution[archive] != slot:
                self._consolidate(fd, archive + 1, replaced)
        row = self.row[archive].pack(slot * self.resolution[archive], *values)
        os.pwrite(fd, row, self._position(archive, slot))

    def _consolidate(self, fd: int, archive: int, at: int) -> None:
        """Write the row of `archive` that covers time `at` from the finer rows under it, unless it
        is written already or its place holds a newer row."""
        resolution, finer = self.resolution[archive], self.resolution[archive - 1]
        slot = at // resolution
        if self._time_at(fd, archive, slot) >= slot * resolution:
            return
        first = slot * resolution // finer
        rows = [values for _at, values in self._rows(fd, archive - 1, first, first + resolution // finer - 1)]
        if rows:
            self._put(fd, archive, slot, self._merged(rows, archive - 1))

    def _position(self, archive: int, slot: int) -> int:
        return self.offset[archive] + (slot % self.count[archive]) * self.row[archive].size

    def _time_at(self, fd: int, archive: int, slot: int) -> int:
        """The time in the row where `slot` goes (of this lap or an earlier one; 0: never written)."""
        return struct.unpack("<I", os.pread(fd, 4, self._position(archive, slot)))[0]

    def _merged(self, rows: list[list], archive: int) -> list:
        """[averages..., maxima...] of rows of `archive` (samples, or minutes' averages and maxima)."""
        if archive == 0:
            return _consolidated(rows, self.series)
        averages = _consolidated([row[: self.series] for row in rows], self.series)[: self.series]
        return averages + _consolidated([row[self.series :] for row in rows], self.series)[self.series :]

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
        range (1h, 24h, 30d) ending `now`: the rows of that span, oldest first; unknown values None.
        A coarser row not written yet (its finer rows are still there) is consolidated here."""
        archive = RANGES[chart_range]
        resolution, count = self.resolution[archive], self.count[archive]
        last = int(now // resolution)
        rows = {}
        try:
            with open(self.path, "rb") as file:
                if file.read(HEADER.size) == HEADER.pack(MAGIC, VERSION, self.series, self.step):
                    rows = self._view(file.fileno(), archive)
        except FileNotFoundError:
            pass
        rows = [(at, rows[at]) for at in sorted(rows) if (last - count + 1) * resolution <= at <= last * resolution]
        width = self.series if archive == 0 else 2 * self.series
        columns = [[None if math.isnan(row[i]) else row[i] for _t, row in rows] for i in range(width)]
        return {
            "step": resolution,
            "times": [at for at, _row in rows],
            "average": columns[: self.series],
            "maximum": columns[self.series :] or None,
        }

    def _view(self, fd: int, archive: int) -> dict[int, list]:
        """{time: values} of every row of the archive's ring, and of those its finer archive still
        holds rows for but that were not consolidated yet."""
        row, count, resolution = self.row[archive], self.count[archive], self.resolution[archive]
        data = os.pread(fd, count * row.size, self.offset[archive])
        rows = row.iter_unpack(data[: len(data) - len(data) % row.size])
        found = {values[0]: values[1:] for index, values in enumerate(rows)
                 if values[0] and values[0] % resolution == 0 and values[0] // resolution % count == index}  # fmt: skip
        if archive > 0:
            pending: dict[int, list] = {}
            for at, values in self._view(fd, archive - 1).items():
                if at - at % resolution not in found:
                    pending.setdefault(at - at % resolution, []).append(values)
            found.update((at, self._merged(group, archive - 1)) for at, group in pending.items())
        return found


def _consolidated(rows: list[list], series: int) -> list:
    """[averages..., maxima...] of each series over `rows`, leaving out unknown values (NaN)."""
    averages, maxima = [], []
    for index in range(series):
        known = [row[index] for row in rows if not math.isnan(row[index])]
        averages.append(sum(known) / len(known) if known else NAN)
        maxima.append(max(known) if known else NAN)
    return averages + maxima
