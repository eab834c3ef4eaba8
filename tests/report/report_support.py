"""What the report tests share: a ledger driven through iterations as the runner drives it, and
what each iteration should then show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

from kiter.metastore.ledger import Ledger
from kiter.metastore.records import STAGED_NOT_RUN
from kiter_support import FakeTime


@dataclass(frozen=True)
class Step:
    """One iteration: its records per shard, how each attempt ends, how long each took, how old
    its first record was at the first claim, how long after the previous iteration it began."""

    records: tuple[int, ...] = (60, 40)
    ends: tuple[str, ...] = ("SUCCEEDED",)  # SUCCEEDED, FAILED, STAGED, RUNNING or CLAIMED
    took: int = 30
    behind: int = 20
    gap: int = 60


@dataclass
class Shown:
    """What the report must show of one iteration."""

    state: str
    attempts: int
    records: int | None = None
    seconds: float | None = None
    backlog: float | None = None
    wait: float | None = None


BACKOFF = 10  # between a failed attempt and the next


def arrival(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def drive(
    ledger: Ledger, clock: FakeTime, logical: str, steps: list[Step], *, staged: bool = True
) -> dict[int, Shown]:
    """Run `steps` through the real ledger (claim, boundaries, end) on the fake clock."""
    shown: dict[int, Shown] = {}
    ended: float | None = None
    for n, step in enumerate(steps):
        clock.advance(step.gap)
        first_claim, arrived = clock.now, clock.now - step.behind
        expect = shown[n] = Shown(state="", attempts=0)
        expect.wait = None if ended is None else first_claim - ended
        for attempt, end in enumerate(step.ends):
            if attempt:
                clock.advance(BACKOFF)
            claim = ledger.claim(logical)
            expect.attempts += 1
            if staged:
                ledger.record_boundaries(claim, _shards(n, step, arrived))
                expect.records = sum(step.records)
                expect.backlog = first_claim - arrived if sum(step.records) else 0.0
            expect.state = end
            if end in ("RUNNING", "CLAIMED"):
                if end == "RUNNING":
                    ledger.running(claim, f"s-{n}", "emr")
                return shown
            clock.advance(step.took)
            if end == "SUCCEEDED":
                stats = {"records": sum(step.records), "seconds": {"total": step.took}}
                ledger.succeed(claim, stats if staged else {"seconds": {"total": step.took}})
            else:
                ledger.fail(claim, STAGED_NOT_RUN if end == "STAGED" else f"FAILED: broke {n}")
            expect.seconds = None if end == "STAGED" else float(step.took)
        ended = clock.now
    return shown


def rerun(
    ledger: Ledger, clock: FakeTime, logical: str, n: int, step: Step, shown: dict[int, Shown]
) -> None:
    """Run iteration `n` again on purpose, after later ones: the records it recorded, one more
    attempt. Its backlog stays as it was when it began; the next iteration's wait is then
    unknown (n ended after it began)."""
    clock.advance(step.gap)
    claim = ledger.claim(logical, n)
    recorded = claim.record.shards
    ledger.record_boundaries(claim, recorded)
    clock.advance(step.took)
    ledger.succeed(claim, {"records": sum(step.records), "seconds": {"total": step.took}})
    shown[n].attempts += 1
    shown[n].seconds = float(step.took)
    if n + 1 in shown:
        shown[n + 1].wait = None


def _shards(n: int, step: Step, arrived: float) -> dict[str, dict[str, object]]:
    shards: dict[str, dict[str, object]] = {}
    for i, records in enumerate(step.records):
        sid = f"shardId-{i:012d}"
        start = str(n * 10_000 + i * 1000)
        shards[sid] = {
            "shard_id": sid,
            "start": start,
            "end": str(int(start) + records) if records else None,
            "records": records,
            "bytes": records * 100,
            "throttles": 0,
            "read_seconds": 1.5,
            "first_arrival": arrival(arrived + i) if records else None,
        }
    return shards


@dataclass
class Charts(HTMLParser):
    """The marks of every chart in a page: {(job, chart): [data-* of each mark]}."""

    marks: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    job: str = ""
    chart: str = ""

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section" and "data-job" in a:
            self.job = a["data-job"]
        elif tag == "svg" and "data-chart" in a:
            self.chart = a["data-chart"]
            self.marks[(self.job, self.chart)] = []
        elif tag == "g" and a.get("class") == "mark":
            self.marks[(self.job, self.chart)].append(a)


def charts(html: str) -> dict[tuple[str, str], list[dict[str, str]]]:
    parser = Charts()
    parser.feed(html)
    return parser.marks
