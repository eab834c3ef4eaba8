"""The demo's traffic: lines the top-10 job can parse, a known mix, and the expected answer."""

from __future__ import annotations

from collections import Counter

import pytest

from kiter.local.traffic import AGENTS, Traffic, browser_family, expected_top_errors, parse


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        (AGENTS[0][0], "Chrome"),
        (AGENTS[1][0], "Safari"),
        (AGENTS[2][0], "Firefox"),
        (AGENTS[3][0], "Edge"),  # Edge says Chrome and Safari too: Edg/ wins
        (AGENTS[4][0], "Bot"),
        ("curl/8.5.0", "Script"),
        (AGENTS[6][0], "Internet Explorer"),
        ("Lynx/2.9", "Other"),
    ],
)
def test_user_agents_fall_into_the_families_the_hive_macro_uses(agent: str, family: str) -> None:
    assert browser_family(agent) == family


def test_every_generated_line_parses_and_the_same_seed_gives_the_same_lines() -> None:
    lines = Traffic(seed=3).lines(2000)
    assert lines == Traffic(seed=3).lines(2000)
    parsed = [parse(line) for line in lines]
    assert all(p is not None for p in parsed)
    statuses = Counter(int(p["status"]) for p in parsed if p)
    errors = sum(n for s, n in statuses.items() if s >= 400)
    assert 0.08 < errors / len(lines) < 0.25  # about one request in six fails


def test_the_known_incident_shows_in_the_top_errors() -> None:
    top = expected_top_errors(Traffic(seed=5).lines(20000))
    assert len(top) == 10
    assert ("Safari", "shop.example.com", 500) in {(b, d, s) for _r, b, d, s, _n in top}
    assert [row[4] for row in top] == sorted((row[4] for row in top), reverse=True)


def test_lines_the_regex_cannot_read_and_successes_are_left_out() -> None:
    ok = (
        'a.example.com 1.2.3.4 - - [25/Nov/2026:18:00:00 +0000] "GET / HTTP/1.1" 200 5 '
        '"-" "curl/8.0" us-east-1'
    )
    bad = "not a log line"
    failed = ok.replace(" 200 ", " 503 ")
    assert expected_top_errors([ok, bad, failed, failed]) == [
        ("us-east-1", "Script", "a.example.com", 503, 2)
    ]
