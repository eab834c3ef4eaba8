"""Realistic web-log traffic for the demo, the end-to-end test and the benchmarks.

Lines are Apache vhost_combined plus an edge region (the format hiveql/top_errors.hql.j2 reads),
drawn from a seeded generator with a known mix of statuses, regions, browsers and domains.
`expected_top_errors` computes in Python what the top-10 job must answer for a set of lines, with
the same user-agent classification as templates/kiter/weblog.j2.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DOMAINS = ("shop.example.com", "api.example.com", "blog.example.org", "cdn.example.net")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1")
AGENTS = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        40,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15",
        20,
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 15),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
        10,
    ),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 8),
    ("curl/8.5.0", 5),
    ("Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", 2),
)
# (status, weight): about 12% of requests fail, 404 and 503 most of all.
STATUSES = (
    (200, 70),
    (304, 10),
    (301, 4),
    (404, 7),
    (500, 2),
    (503, 3),
    (403, 2),
    (429, 1),
    (502, 1),
)
PATHS = (
    "/",
    "/cart",
    "/checkout",
    "/api/v2/items",
    "/search?q=kinesis",
    "/img/logo.png",
    "/feed.xml",
    "/login",
)


def browser_family(agent: str) -> str:
    """The same classification as the `hive_browser` macro in templates/kiter/weblog.j2."""
    rules = (
        ("Bot", ("bot", "spider", "crawl")),
        ("Edge", ("Edg/",)),
        ("Opera", ("OPR/",)),
        ("Chrome", ("Chrome/",)),
        ("Firefox", ("Firefox/",)),
        ("Safari", ("Safari/",)),
        ("Internet Explorer", ("MSIE ", "Trident/")),
    )
    for family, needles in rules:
        if any(n in agent for n in needles):
            return family
    if agent.startswith(("curl/", "python-requests/")):
        return "Script"
    return "Other"


_LINE = re.compile(
    r'^([^ :]+)(?::[0-9]+)? ([^ ]*) ([^ ]*) ([^ ]*) \[([^\]]*)\] "([^"]*)" ([0-9]{3}) ([^ ]*) '
    r'"([^"]*)" "([^"]*)" ?([^ ]*)$'
)


def parse(line: str) -> dict[str, str] | None:
    """The fields the Hive RegexSerDe extracts, or None where it would give NULLs."""
    match = _LINE.match(line)
    if not match:
        return None
    names = (
        "domain",
        "client",
        "ident",
        "authuser",
        "request_time",
        "request",
        "status",
        "bytes",
        "referer",
        "agent",
        "region",
    )
    return dict(zip(names, match.groups(), strict=True))


def expected_top_errors(lines: Iterable[str], limit: int = 10) -> list[tuple[Any, ...]]:
    """What hiveql/top_errors.hql.j2 returns for these lines: (region, browser, domain, status,
    errors), ordered as its ORDER BY orders them."""
    counts: Counter[tuple[str, str, str, int]] = Counter()
    for line in lines:
        fields = parse(line)
        if fields is None or int(fields["status"]) < 400:
            continue
        key = (
            fields["region"],
            browser_family(fields["agent"]),
            fields["domain"],
            int(fields["status"]),
        )
        counts[key] += 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], *kv[0]))
    return [(*key, n) for key, n in ordered[:limit]]


@dataclass
class Traffic:
    """A seeded generator of web-log lines."""

    seed: int = 7
    start: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    _random: random.Random = field(init=False, repr=False)
    _count: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def lines(self, n: int) -> list[str]:
        return [self.line() for _ in range(n)]

    def line(self) -> str:
        r = self._random
        self._count += 1
        when = self.start + timedelta(milliseconds=250 * self._count)
        status = r.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        agent = r.choices([a for a, _ in AGENTS], [w for _, w in AGENTS])[0]
        domain = r.choice(DOMAINS)
        # A known incident: the shop's checkout breaks for Safari users (500s).
        if domain == DOMAINS[0] and browser_family(agent) == "Safari" and r.random() < 0.3:
            status = 500
        # Errors cluster: most failures come from one region and domain, as an outage would.
        region = "eu-west-1" if status >= 500 and r.random() < 0.6 else r.choice(REGIONS)
        client = f"{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
        size = "-" if status == 304 else str(r.randint(200, 90_000))
        return (
            f"{domain} {client} - - [{when:%d/%b/%Y:%H:%M:%S} +0000] "
            f'"GET {r.choice(PATHS)} HTTP/1.1" {status} {size} "https://{domain}/" "{agent}" {region}'
        )


def put_lines(kinesis: Any, stream: str, lines: list[str], *, batch: int = 500) -> None:
    """PutRecords in batches, each line with a random-looking partition key (spreads shards)."""
    for i in range(0, len(lines), batch):
        chunk = lines[i : i + batch]
        records = [
            {"Data": line.encode("utf-8"), "PartitionKey": f"{hash(line) & 0xFFFFFFFF:08x}"}
            for line in chunk
        ]
        pending = records
        for _ in range(10):
            response = kinesis.put_records(StreamName=stream, Records=pending)
            if not response.get("FailedRecordCount"):
                break
            pending = [
                rec
                for rec, res in zip(pending, response["Records"], strict=True)
                if "ErrorCode" in res
            ]
            time.sleep(0.2)
        else:
            raise RuntimeError(f"could not put {len(pending)} records to {stream}")


class Producer:
    """Puts batches of generated lines to a stream from a background thread, recording them."""

    def __init__(
        self,
        kinesis: Any,
        stream: str,
        traffic: Traffic,
        *,
        batch: int = 200,
        interval: float = 0.5,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.kinesis = kinesis
        self.stream = stream
        self.traffic = traffic
        self.batch = batch
        self.interval = interval
        self.produced: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kiter-producer", daemon=True)
        self._on_error = on_error
        self.error: BaseException | None = None

    def __enter__(self) -> Producer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.produced)

    def _loop(self) -> None:
        while not self._stop.is_set():
            lines = self.traffic.lines(self.batch)
            try:
                put_lines(self.kinesis, self.stream, lines)
            except Exception as exc:
                self.error = exc
                if self._on_error:
                    self._on_error(exc)
                return
            with self._lock:
                self.produced.extend(lines)
            self._stop.wait(self.interval)
