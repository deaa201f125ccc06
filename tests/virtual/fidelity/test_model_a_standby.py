"""Model A, app standby and allowlists (rules A13-A18), through the real adb server."""

from __future__ import annotations

from harness.companion.protocol import AlarmMethod
from harness.controls.doze import parse_allowlist, user_allowlisted

from .conftest import COMPANION, HOUR, MIN, Phone, ACTIVITY


def test_power_save_allowlist_exempts_the_app_and_its_alarms_from_doze(phone: Phone) -> None:
    assert phone.out("cmd", "deviceidle", "whitelist", f"+{COMPANION}") == f"Added: {COMPANION}\n"
    assert user_allowlisted(parse_allowlist(phone.out("cmd", "deviceidle", "whitelist")), COMPANION)
    assert phone.bucket() == 5  # EXEMPTED
    assert phone.out("cmd", "deviceidle", "whitelist", "+no.such.pkg") == "Unknown package: no.such.pkg\n"
    phone.unplug_and_sleep()
    phone.out("cmd", "deviceidle", "force-idle")
    phone.alarm("plain", AlarmMethod.SET, 20 * MIN)  # FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED: not held by Doze
    assert phone.app_alarms()[0].flags is not None and phone.app_alarms()[0].flags & 0x8
    phone.advance("35m")
    assert [e.elapsed_ms for e in phone.fired("plain")] == [35 * MIN]
    assert phone.out("cmd", "deviceidle", "whitelist", f"-{COMPANION}") == f"Removed: {COMPANION}\n"
    assert phone.bucket() == 10
    phone.alarm("held", AlarmMethod.SET, 20 * MIN)
    phone.advance("35m")
    assert phone.fired("held") == [] and phone.deep() == "IDLE"


def test_temp_allowlist_default_ten_seconds_and_five_minute_cap(phone: Phone) -> None:
    phone.out("cmd", "deviceidle", "tempwhitelist", COMPANION)
    assert "+10s0ms - shell" in phone.out("cmd", "deviceidle", "tempwhitelist")
    assert phone.state()["temp_allowlist"] == [COMPANION]
    phone.advance("9999")
    assert phone.state()["temp_allowlist"] == [COMPANION]
    phone.advance("1")
    assert phone.state()["temp_allowlist"] == []
    phone.out("cmd", "deviceidle", "tempwhitelist", "-d", "3600000", COMPANION)
    phone.advance(str(5 * MIN - 1))
    assert phone.state()["temp_allowlist"] == [COMPANION]
    phone.advance("1")
    assert phone.state()["temp_allowlist"] == []


def test_standby_bucket_names_and_numbers(phone: Phone) -> None:
    for name, value in (("rare", 40), ("working_set", 20), ("frequent", 30), ("restricted", 45), ("10", 10),
                        ("work", 20)):
        phone.out("am", "set-standby-bucket", COMPANION, name)
        assert phone.bucket() == value, name
        assert phone.state()["packages"][0]["standby_bucket"] == value
    assert phone.sh("am", "set-standby-bucket", COMPANION, "bogus").status != 0
    assert phone.bucket() == 20  # unchanged
    assert f"{COMPANION}: 20\n" in phone.out("am", "get-standby-bucket")


def test_bucket_times_out_by_elapsed_and_screen_on_time(phone: Phone) -> None:
    phone.out("am", "start", "-n", ACTIVITY)
    phone.out("input", "keyevent", "KEYCODE_HOME")
    phone.out("cmd", "battery", "set", "ac", "1")  # no Doze: only standby matters here
    phone.screen_off()  # no screen-on time from here
    phone.advance(str(12 * HOUR - 1))
    assert phone.bucket() == 10
    phone.advance("1")
    assert phone.bucket() == 20  # 12 h elapsed, 0 h screen
    phone.advance("8d")  # FREQUENT needs 1 h of screen-on time too
    assert phone.bucket() == 20
    phone.screen_on()
    phone.advance(str(HOUR - 1))
    assert phone.bucket() == 20
    phone.advance("1")
    assert phone.bucket() == 30
    phone.advance("1h")  # 2 h screen, > 48 h: RARE
    assert phone.bucket() == 40
    phone.advance("4h")  # 6 h screen, > 8 days: RESTRICTED
    assert phone.bucket() == 45


def test_bucket_time_counts_across_a_reboot(phone: Phone) -> None:
    phone.out("am", "start", "-n", ACTIVITY)
    phone.out("input", "keyevent", "KEYCODE_HOME")
    phone.advance("6h")
    phone.device.reboot(timeout=60)
    booted = phone.elapsed()  # elapsed time restarts at boot (the boot itself takes some)
    assert phone.state()["boot_count"] == 2 and booted < HOUR
    phone.advance(str(6 * HOUR - booted - 1))
    assert phone.bucket() == 10
    phone.advance("1")
    assert phone.bucket() == 20


def test_forced_bucket_holds_until_the_next_usage(phone: Phone) -> None:
    phone.out("am", "set-standby-bucket", COMPANION, "rare")
    phone.advance("48h")
    assert phone.bucket() == 40  # REASON_MAIN_FORCED_BY_USER: no timeout moves it
    phone.out("am", "start", "-n", ACTIVITY)
    assert phone.bucket() == 10


def test_set_inactive_and_get_inactive(phone: Phone) -> None:
    assert phone.out("am", "get-inactive", COMPANION) == "Idle=false\n"
    phone.out("am", "set-inactive", COMPANION, "true")
    assert phone.out("am", "get-inactive", COMPANION) == "Idle=true\n"
    assert phone.bucket() == 40
    phone.out("am", "set-standby-bucket", COMPANION, "restricted")
    assert phone.out("am", "get-inactive", COMPANION) == "Idle=true\n"
    phone.out("am", "set-inactive", COMPANION, "false")
    assert phone.out("am", "get-inactive", COMPANION) == "Idle=false\n"
    assert phone.bucket() == 10
