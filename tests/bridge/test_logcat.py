"""Logcat streams with a tag filter, through the real adb server."""

from __future__ import annotations

import threading
import time

from harness.bridge.device import Device
from harness.bridge.logcat import LogPriority


def test_stream_yields_parsed_lines_of_chosen_tags_only(device: Device) -> None:
    with device.logcat(["HarnessBridgeTest"]) as stream:
        device.shell(["log", "-p", "w", "-t", "OtherTag", "not for us"], check=True)
        device.shell(["log", "-t", "HarnessBridgeTest", "first: with colon"], check=True)
        device.shell(["log", "-p", "e", "-t", "HarnessBridgeTest", "second"], check=True)
        first = stream.read_line(5.0)
        second = stream.read_line(5.0)
        assert stream.read_line(0.2) is None  # nothing else: OtherTag was filtered on the device
    assert first is not None and second is not None
    assert (first.tag, first.priority, first.message) == ("HarnessBridgeTest", LogPriority.INFO, "first: with colon")
    assert (second.tag, second.priority, second.message) == ("HarnessBridgeTest", LogPriority.ERROR, "second")
    assert first.pid > 0 and first.tid > 0 and len(first.time) == len("01-01 00:00:00.000")
    assert stream.closed


def test_close_from_another_thread_ends_iteration(device: Device) -> None:
    stream = device.logcat(["HarnessBridgeClose"]).open()
    device.shell(["log", "-t", "HarnessBridgeClose", "one"], check=True)
    seen: list[str] = []
    done = threading.Event()

    def consume() -> None:
        for line in stream:
            seen.append(line.message)
            if len(seen) == 1:
                threading.Thread(target=stream.close).start()
        done.set()

    consumer = threading.Thread(target=consume)
    started = time.monotonic()
    consumer.start()
    assert done.wait(5.0), "iteration did not end after close()"
    consumer.join(1.0)
    assert seen == ["one"]
    assert time.monotonic() - started < 5.0
    # The device is fine afterwards and the stream cannot be read any more.
    assert stream.read_line(0.1) is None
    assert device.shell(["echo", "ok"]).stdout == "ok\n"
