"""Durations as people type them and as kiter prints them: one reader, one style."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiter.durations import format_duration, parse_duration
from kiter.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("1m", 60),
        ("5 min", 300),
        ("1.5h", 5400),
        ("2d", 172800),
        ("1h30m", 5400),
        ("1H", 3600),
        ("90s", 90),
        ("5m", 300),
        ("1h 30m", 5400),
        ("5 minutes", 300),
    ],
)
def test_durations_read_as_people_write_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "10", "1:30", "1h30", "soon"])
def test_a_text_without_a_unit_is_not_a_duration(text: str) -> None:
    with pytest.raises(UsageError, match="is not a duration: give a unit"):
        parse_duration(text)


def test_a_refused_duration_names_its_option() -> None:
    with pytest.raises(UsageError, match=r"^--backoff '10' is not a duration: give a unit"):
        parse_duration("10", option="--backoff")


def test_zero_is_refused_where_it_means_nothing() -> None:
    with pytest.raises(UsageError, match=r"^--every '0s' is zero: give more than 0s$"):
        parse_duration("0s", option="--every")


def test_zero_is_taken_where_the_caller_says_it_means_something() -> None:
    assert parse_duration("0s", allow_zero=True) == 0


@pytest.mark.parametrize("allow_zero", [False, True])
def test_a_negative_duration_is_refused(allow_zero: bool) -> None:
    with pytest.raises(UsageError, match="'-1m' is negative"):
        parse_duration("-1m", allow_zero=allow_zero)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (4.2, "4.2s"),
        (5.0, "5s"),
        (59.4, "59.4s"),
        (59.96, "1m00s"),
        (65, "1m05s"),
        (3599.6, "1h00m"),
        (7380, "2h03m"),
        (100800, "1d04h"),
        (-3, "0s"),
    ],
)
def test_durations_are_printed_one_way(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.floats(min_value=0, max_value=400 * 86400))
def test_a_printed_duration_reads_back_as_about_the_same_duration(seconds: float) -> None:
    back = parse_duration(format_duration(seconds), allow_zero=True)
    # Two units at most: tenths of a second, then a second, a minute, an hour of rounding.
    assert abs(back - seconds) <= max(0.051, seconds * 0.025)
