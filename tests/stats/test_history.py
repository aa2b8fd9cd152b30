"""The round-robin history with made-up samples: what each archive holds, checked by hand."""

import pytest

from stats.history import History, move_into_shards, path_for, remove

START = 1_800_000_000  # a half hour's start (divisible by 1800)


@pytest.fixture(autouse=True)
def stats_dir(settings, tmp_path):
    settings.STATS_DIR = tmp_path / "stats"
    settings.STATS_INTERVAL = 10
    return settings.STATS_DIR


def test_the_last_hour_holds_every_sample_and_the_day_their_minute_averages_and_maxima():
    history = History("instance-a", series=2)
    for index in range(12):  # two minutes of samples: cpu 0..55 step 5; memory unknown in the first
        history.add(START + 10 * index, [5 * index, None if index == 0 else 100])
    hour = history.read("1h", now=START + 110)
    assert hour["step"] == 10 and hour["times"] == [START + 10 * i for i in range(12)]
    assert hour["average"][0] == [5.0 * i for i in range(12)] and hour["maximum"] is None
    assert hour["average"][1] == [None] + [100.0] * 11

    day = history.read("24h", now=START + 110)
    assert day["times"] == [START, START + 60]
    assert day["average"] == [[12.5, 42.5], [100.0, 100.0]]  # (0+5+…+25)/6; unknowns left out
    assert day["maximum"] == [[25.0, 55.0], [100.0, 100.0]]
    month = history.read("30d", now=START + 110)
    assert month["times"] == [START] and month["average"] == [[27.5], [100.0]] and month["maximum"] == [[55.0], [100.0]]


def test_minutes_and_half_hours_outlive_the_samples_they_were_made_of(settings):
    settings.STATS_INTERVAL = 60  # a sample a minute: the hour ring holds 60
    history = History("instance-d", series=1)
    for minute in range(25 * 60):  # 25 hours: the first hour's minutes are gone from the day ring too
        history.add(START + 60 * minute, [minute])
    now = START + 60 * (25 * 60 - 1)
    day = history.read("24h", now=now)
    assert day["times"] == [START + 60 * minute for minute in range(60, 25 * 60)]
    assert day["average"] == [[float(minute) for minute in range(60, 25 * 60)]]
    month = history.read("30d", now=now)
    assert month["times"] == [START + 1800 * half for half in range(50)]
    assert month["average"] == [[30 * half + 14.5 for half in range(50)]]
    assert month["maximum"] == [[30.0 * half + 29 for half in range(50)]]
    later = history.read("30d", now=now + 5 * 3600)  # samples stopped: nothing left unconsolidated is lost
    assert later == month


def test_a_sample_writes_one_row_and_a_minute_is_written_when_its_samples_are_overwritten():
    history = History("instance-e", series=1)
    for index in range(360 + 12):  # an hour and two minutes of samples every 10 s
        history.add(START + 10 * index, [index])
    with open(history.path, "rb") as file:
        stored = [at for at, _values in history._rows(file.fileno(), 1, START // 60, START // 60 + 61)]
    assert stored == [START, START + 60]  # the two minutes whose samples the ring has overwritten
    day = history.read("24h", now=START + 10 * 371)
    assert len(day["times"]) == 62 and day["average"][0][:2] == [2.5, 8.5] and day["maximum"][0][-1] == 371.0


def test_a_slot_from_an_earlier_lap_is_never_shown():
    history = History("instance-b", series=1)
    history.add(START, [1])
    history.add(START + 3600, [2])  # the same slot of the 1-hour ring, one lap later
    assert history.read("1h", now=START + 3600)["average"] == [[2.0]]
    assert history.read("1h", now=START + 7300)["times"] == []  # more than an hour without samples


def test_a_file_keeps_its_size_whatever_it_holds(stats_dir):
    history = History("host-1", series=4)
    history.add(START, [1, 2, 3, 4])
    size = path_for("host-1").stat().st_size
    for index in range(1, 800):
        history.add(START + 10 * index, [1, 2, 3, 4])
    assert path_for("host-1").stat().st_size == size == history.size
    assert size == 16 + 360 * (4 + 16) + 2 * 1440 * (4 + 32)


def test_a_changed_step_starts_the_history_again():
    History("instance-c", series=1).add(START, [7])
    assert History("instance-c", series=1, step=30).read("1h", now=START)["average"] == [[]]


def test_an_instance_is_removed_with_its_devices_and_nothing_else(stats_dir):
    for key in ("instance-u1", "instance-u1-disk-vda", "instance-u1-nic-vnet0", "instance-u10", "host-1"):
        History(key, series=1).add(START, [1])
    remove("instance-u1")
    assert sorted(path.stem for path in stats_dir.rglob("*.rrd")) == ["host-1", "instance-u10"]


def test_files_are_kept_in_shard_folders_and_the_flat_layout_is_moved_into_them(stats_dir):
    uuid = "3f2a0c1e-0000-4000-8000-000000000001"
    History(f"instance-{uuid}", series=1).add(START, [1])
    History(f"instance-{uuid}-disk-vda", series=1).add(START, [2])
    assert sorted(path.relative_to(stats_dir).as_posix() for path in stats_dir.rglob("*.rrd")) == [
        f"3f/instance-{uuid}-disk-vda.rrd", f"3f/instance-{uuid}.rrd"]  # fmt: skip
    (stats_dir / "3f" / f"instance-{uuid}.rrd").rename(stats_dir / f"instance-{uuid}.rrd")  # as before shards
    assert History(f"instance-{uuid}", series=1).read("1h", now=START)["average"] == [[]]
    assert move_into_shards() == 1 and move_into_shards() == 0
    assert History(f"instance-{uuid}", series=1).read("1h", now=START)["average"] == [[1.0]]


@pytest.mark.parametrize("key", ["a-..", "x-.:", "instance-..-disk-vda"])
def test_a_shard_is_never_a_path_either(stats_dir, key):
    assert path_for(key).parent.parent == stats_dir and path_for(key).parent.name == "__"


@pytest.mark.parametrize("key", ["../etc", "", "a/b", ".hidden"])
def test_a_key_is_never_a_path(key):
    with pytest.raises(ValueError):
        path_for(key)
