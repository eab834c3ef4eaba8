"""Cron cadences: the fields cron users write (names, macros, L), time zones, what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from kiter.cadence import BackToBack, Cron, Every, make_cadence, parse_zone
from kiter.errors import UsageError


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/5 * * * *", "2026-11-25 12:03:10", "2026-11-25 12:05:00"),
        ("*/5 * * * *", "2026-11-25 12:05:00", "2026-11-25 12:10:00"),
        ("0 9 * * 1", "2026-11-25 12:00:00", "2026-11-30 09:00:00"),  # next Monday
        ("30 2 1 * *", "2026-12-05 00:00:00", "2027-01-01 02:30:00"),
        ("0 0 29 2 *", "2026-03-01 00:00:00", "2028-02-29 00:00:00"),
        ("15,45 8-9 * * 7", "2026-11-29 08:20:00", "2026-11-29 08:45:00"),  # Sunday as 7
        ("0 12 13 * 5", "2026-11-25 00:00:00", "2026-11-27 12:00:00"),  # Friday or the 13th
    ],
)
def test_cron_expressions_find_the_next_matching_minute(
    expression: str, after: str, expected: str
) -> None:
    assert Cron(expression).next_after(ts(after)) == ts(expected)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("@hourly", "2026-11-25 12:03:10", "2026-11-25 13:00:00"),
        ("@daily", "2026-11-25 12:03:10", "2026-11-26 00:00:00"),
        ("0 9 * * MON-FRI", "2026-11-27 10:00:00", "2026-11-30 09:00:00"),  # Friday, then Monday
        ("0 9 * * mon-fri", "2026-11-25 10:00:00", "2026-11-26 09:00:00"),
        ("0 0 * JAN *", "2026-11-25 00:00:00", "2027-01-01 00:00:00"),
        ("0 0 L * *", "2026-11-25 00:00:00", "2026-11-30 00:00:00"),  # the last day
        ("0 0 * * 5L", "2026-11-01 00:00:00", "2026-11-27 00:00:00"),  # the last Friday
    ],
)
def test_cron_takes_names_macros_and_last_days(expression: str, after: str, expected: str) -> None:
    assert Cron(expression).next_after(ts(after)) == ts(expected)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "needs 5 fields"),
        ("* * * * * *", "needs 5 fields"),  # cronsim's seconds field is not cron's
        ("61 * * * *", "minute field '61' is outside 0-59"),
        ("0 0 * 13 *", "month field '13' is outside 1-12"),
        ("a * * * *", "bad minute field 'a'"),
        ("@reboot", "unknown macro; use one of @yearly"),
    ],
)
def test_a_bad_cron_expression_says_which_field(expression: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Cron(expression)


def test_a_step_of_zero_is_called_a_step_of_zero() -> None:
    with pytest.raises(UsageError) as refused:
        Cron("*/0 * * * *")
    assert str(refused.value) == (
        "cron expression '*/0 * * * *': minute field '*/0' has a step of 0; a step is 1 or more "
        "(*/1 is every minute)"
    )


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 2,4 *"])
def test_an_expression_that_never_fires_is_refused_when_read(expression: str) -> None:
    with pytest.raises(UsageError) as refused:
        Cron(expression)
    assert str(refused.value).startswith(f"cron expression '{expression}' never fires: ")


def test_cron_is_read_in_its_time_zone() -> None:
    paris = Cron("0 9 * * *", ZoneInfo("Europe/Paris"))
    assert paris.next_after(ts("2026-11-25 12:00:00")) == ts("2026-11-26 08:00:00")  # CET
    assert paris.next_after(ts("2026-07-01 12:00:00")) == ts("2026-07-02 07:00:00")  # CEST


def test_a_fixed_time_job_runs_once_on_the_night_clocks_go_back() -> None:
    paris = Cron("30 2 * * *", ZoneInfo("Europe/Paris"))
    # 2026-10-25: 02:30 happens at 00:30Z (summer time) and again at 01:30Z (winter time).
    assert paris.next_after(ts("2026-10-25 00:10:00")) == ts("2026-10-25 00:30:00")
    # Inside the repeated hour, the day's 02:30 is behind us: the next is tomorrow's.
    assert paris.next_after(ts("2026-10-25 01:10:00")) == ts("2026-10-26 01:30:00")


def test_a_time_zone_is_an_iana_name() -> None:
    assert parse_zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    assert parse_zone("utc") is UTC
    with pytest.raises(UsageError, match=r"^unknown time zone 'Mars/Base': give an IANA name"):
        parse_zone("Mars/Base")


def test_the_run_options_make_one_cadence() -> None:
    assert make_cadence(every=None, cron=None, zone=None, now=5.0) == (BackToBack(), UTC)
    assert make_cadence(every="1h30m", cron=None, zone=None, now=5.0) == (Every(5400, 5.0), UTC)
    cadence, zone = make_cadence(every=None, cron="@hourly", zone="Asia/Tokyo", now=5.0)
    assert cadence == Cron("@hourly", ZoneInfo("Asia/Tokyo")) and zone == ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"every": "1m", "cron": "@hourly"}, "choose --every or --cron, not both"),
        ({"every": "1m", "zone": "Europe/Paris"}, "--tz applies to --cron only"),
        ({"every": "0s"}, "--every '0s' is zero: give more than 0s"),
        ({"cron": "@hourly", "zone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
    ],
)
def test_run_options_that_do_not_make_a_cadence_are_refused(
    options: dict[str, str], message: str
) -> None:
    given = {"every": None, "cron": None, "zone": None} | options
    with pytest.raises(UsageError, match=message):
        make_cadence(**given, now=0.0)
