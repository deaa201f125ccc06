"""``logcat -t TIME`` / ``-T TIME`` on the virtual device, and the runner's incremental journal read."""

from __future__ import annotations

from harness.bridge.logcat import logcat_argv, parse_line
from harness.runner.journal import JournalLog
from harness.virtual.commands.logcat import logcat, parse_time
from harness.virtual.model.device import DeviceModel
from harness.virtual.model.logbuffer import LogBuffer
from harness.virtual.shell.registry import CommandContext

TAG = "HarnessJournal"


def _model_with_lines(n: int) -> DeviceModel:
    model = DeviceModel(name="logcat_time", serial="virtual-logcat")
    for i in range(n):
        model.logcat.append("I", TAG, f'{{"seq": {i + 1}}}')
        model.logcat.append("D", "Other", f"noise {i}")
        model.clock.wall_ms += 1000
    return model


def _run(model: DeviceModel, *args: str) -> tuple[int, str, str]:
    r = logcat(CommandContext(model), ["logcat", *args])
    return r.status, r.stdout.decode(), r.stderr.decode()


def test_parse_time_formats() -> None:
    now = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
    assert parse_time("1700000000.123", now) == (1_700_000_000_123, "")
    assert parse_time("11-14 22:13:20.5", now) == (1_700_000_000_500, "")
    assert parse_time("2023-11-14 22:13:20.123456", now) == (1_700_000_000_123, "")
    assert parse_time("2023-11-14 22:13:20.123 junk", now) == (1_700_000_000_123, " junk")
    assert parse_time("yesterday", now) is None
    assert parse_time("13-45 22:13:20.000", now) is None  # no such date


def test_dump_since_time_prints_lines_from_that_time() -> None:
    model = _model_with_lines(5)
    third = [e for e in model.logcat.entries() if e.tag == TAG][2]
    since = f"{third.wall_ms // 1000}.{third.wall_ms % 1000:03d}"
    status, out, err = _run(model, "-v", "threadtime", "-d", "-t", since, f"{TAG}:I", "*:S")
    assert status == 0 and err == ""
    messages = [line.message for line in map(parse_line, out.splitlines()) if line is not None]
    assert messages == ['{"seq": 3}', '{"seq": 4}', '{"seq": 5}']
    assert out.startswith("--------- beginning of main\n")


def test_since_time_without_year_and_after_the_last_line() -> None:
    model = _model_with_lines(3)
    last = model.logcat.entries()[-1]
    stamp = parse_line(_run(model, "-d", "-t", "1")[1].splitlines()[-1])
    assert stamp is not None
    # the printed threadtime stamp (no year) reads back as the entry's own time: both lines of it
    out = _run(model, "-d", "-t", stamp.time, "*:V")[1]
    assert [line.message for line in map(parse_line, out.splitlines()) if line is not None] == [
        '{"seq": 3}', "noise 2"]
    after = last.wall_ms + 1
    assert _run(model, "-t", f"{after // 1000}.{after % 1000:03d}") == (0, "", "")


def test_bad_time_is_an_error_and_trailing_text_a_warning() -> None:
    model = _model_with_lines(1)
    status, out, err = _run(model, "-d", "-t", "soon")
    assert status == 1 and out == "" and err == "logcat: -t 'soon' not in time format.\n"
    status, _out, err = _run(model, "-d", "-t", "100.000 x")
    assert status == 0 and err == "WARNING: -t '100.000' ' x' time truncated\n"


def test_line_count_still_means_last_lines() -> None:
    model = _model_with_lines(4)
    status, out, _err = _run(model, "-t", "2", f"{TAG}:I", "*:S")
    assert status == 0
    assert [line.message for line in map(parse_line, out.splitlines()) if line is not None] == [
        '{"seq": 3}', '{"seq": 4}']


def test_buffer_from_wall_after_the_clock_went_back() -> None:
    wall = [1000]
    buf = LogBuffer(lambda: wall[0])
    for t in (1000, 2000, 3000, 1500, 1600):  # set back to 1500 after 3000
        wall[0] = t
        buf.append("I", TAG, str(t))
    # logd's rule: from the first entry at or after TIME, everything after it
    assert [e.message for e in buf.entries_from_wall(2000)] == ["2000", "3000", "1500", "1600"]
    assert buf.entries_from_wall(4000) == []
    buf.clear()
    for t in (5000, 6000):
        wall[0] = t
        buf.append("I", TAG, str(t))
    assert [e.message for e in buf.entries_from_wall(6000)] == ["6000"]


def test_logcat_argv_since() -> None:
    argv = logcat_argv([TAG], dump=True, since_wall_ms=1_700_000_000_007)
    assert argv[argv.index("-t") + 1] == "1700000000.007"


def test_journal_log_dedupes_overlapping_reads_and_sees_gaps() -> None:
    log = JournalLog(baseline=10)
    assert [e["seq"] for e in log.add([{"seq": 11}, {"seq": 12}])] == [11, 12]
    assert [e["seq"] for e in log.add([{"seq": 12}, {"seq": 13}])] == [13]  # the -t read overlaps by one
    assert not log.gap and log.last_seq == 13
    log.add([{"seq": 15}])
    assert log.gap
    log.add([{"seq": 14}, {"seq": 9}])
    assert [e["seq"] for e in log.events] == [11, 12, 13, 14, 15] and not log.gap
