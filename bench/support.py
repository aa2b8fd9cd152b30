"""What the benchmarks share: Django set up on throw-away state (SQLite in a temp folder, Redis
db 14 or BENCH_REDIS_URL), and percentile figures. Import it before anything from Django."""

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="lvc-bench-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    STATE_DIR=str(WORK),
    LOG_LEVEL="ERROR",
    ALLOWED_HOSTS="testserver",
    REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
)

import django  # noqa: E402

django.setup()


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def spread(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):.1f} ms, p95 {pct(samples, 0.95):.1f} ms"


def page_times(client, url: str, count: int) -> str:
    """p50/p95 of `count` GETs of `url` (each must answer 200)."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        samples.append((time.perf_counter() - started) * 1000)
    return spread(samples)


def wait_until(check, timeout: float, *, step: float = 0.02) -> float | None:
    """Seconds until `check()` is true, or None after `timeout`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            return None
        time.sleep(step)
    return time.monotonic() - started


def request_times(client, urls: list[str], **headers) -> list[float]:
    """Milliseconds of a GET of each URL (each must answer 200)."""
    samples = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def fresh_state():
    """The benchmark's Redis db (flushed: refuses any but db 14) and database (migrated); returns
    the Redis connection, to flush again at the end."""
    import django_rq
    from django.core.management import call_command

    redis = django_rq.get_connection("default")
    if redis.connection_pool.connection_kwargs.get("db") != 14:
        raise SystemExit("this benchmark flushes its Redis database: point BENCH_REDIS_URL at db 14")
    redis.flushdb()
    call_command("migrate", verbosity=0)
    return redis


def _stat(path: Path) -> list[str]:
    """The fields of a /proc/<pid>/stat after the command name (field 3 of proc(5) is [0])."""
    return path.read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = _stat(Path(f"/proc/{pid}/stat"))
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(group: int) -> float:
    """CPU seconds so far of process group `group` (a Procfile line's): its live processes and
    the children they have reaped (a worker restarted by keep-running.sh still counts)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            fields = _stat(entry / "stat")
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group:
            total += sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def procfile_process(name: str, env: dict) -> subprocess.Popen:
    """The Procfile's `name` line as `make run` runs it, with `env` added to this environment; its
    output in WORK/<name>.log (stop it with stop_process())."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith(f"{name}:"))
    with open(WORK / f"{name}.log", "ab") as out:
        return subprocess.Popen(["bash", "-c", line.removeprefix(f"{name}:").strip()], cwd=ROOT, env=os.environ | env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM to its process group (the Procfile line's wrapper and what it started); waits."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)
