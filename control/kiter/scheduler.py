"""The loop over iterations on a cadence: `kiter run`.

Every scheduled job keeps its own cadence, retries and backoff, and jobs run side by side in a
bounded pool of threads (`max_parallel`; 1 runs them in this thread, one after another): one job's
slow or failing iteration never delays another's tick. A failed iteration is retried with the
same number (the ledger hands it back, as a rerun) after a doubling backoff, up to a limit; then
that job gives up and the others go on (the loop ends with exit 1 once they are done). An
iteration held by another process (another `kiter run`, on this host or another) is skipped for
that tick: not a failure. The ledger, not this loop, guarantees that N+1 never starts before N
succeeded and that no iteration runs twice at once.

Ctrl-C and SIGTERM reach the main thread only: the loop then asks every running job to stop (a
`Stop`, see kiter.stopping), waits until each has recorded its iteration and released its lease,
and raises Interrupted. Errors no retry can mend (bad configuration, a refused guard, missing
credentials) stop new iterations at once, let the running ones end, and propagate. Time and
sleep are injected.
"""

from __future__ import annotations

import concurrent.futures as futures
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from kiter.cadence import Cadence
from kiter.durations import format_duration
from kiter.echo import Echo, no_echo
from kiter.errors import (
    EXIT_FAILED,
    EXIT_OK,
    Interrupted,
    IterationBusy,
    JobFailed,
    ServiceError,
)
from kiter.stopping import Stop


@dataclass(frozen=True)
class RetryPolicy:
    """How often and after how long a failed iteration is retried with the same number."""

    max_retries: int = 3
    first_backoff: float = 10.0
    max_backoff: float = 300.0

    def backoff(self, retry: int) -> float:
        return min(self.max_backoff, self.first_backoff * 2 ** max(0, retry - 1))


BUSY_FLOOR = 1.0  # seconds: the shortest wait before asking again for a busy logical name
_NAP = 0.05  # seconds between looks at running iterations

# Failures the loop retries: the engine said no, or a service hiccuped. Bad config, a refused
# guard or a busy logical name are not made better by waiting a few seconds.
RETRYABLE = (JobFailed, ServiceError)


@dataclass
class _Job:
    """One scheduled job's place in the loop."""

    name: str
    due: float
    completed: int = 0
    retries: int = 0
    running: futures.Future[object] | None = None
    gave_up: bool = False
    done: bool = False


@dataclass
class Scheduler:
    """Runs `run_one(job_name)` for each job on every tick of `cadence`, up to `max_parallel`
    jobs at once."""

    jobs: Sequence[str]
    run_one: Callable[[str], object]
    cadence: Cadence
    iterations: int | None = None  # stop each job after this many successful ticks; None: never
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    echo: Echo = no_echo
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    start_now: bool = False  # run the first round at once, not at the cadence's first tick
    zone: tzinfo = UTC  # the zone wake times are shown in
    max_parallel: int = 1
    stop: Stop = field(default_factory=Stop)  # what the runner's iterations are asked to heed
    # Told of each final outcome (a success; a give-up or an error no retry mends), never of a
    # retry: (job, None) or (job, error). Runs in the loop's thread (alerts: kiter.alerts).
    on_final: Callable[[str, BaseException | None], None] = lambda _job, _error: None

    def loop(self) -> int:
        """Run until every job has had `iterations` successful ticks or gave up (exit 1 if one
        did), or forever. Errors retrying cannot mend and Interrupted propagate."""
        # Found before anything runs: a cadence that never fires stops here, not after a round.
        first = self.cadence.first_tick(self.clock())
        if not self.start_now:
            self._wait_for(first, "first iteration")
        start = self.clock()
        jobs = [_Job(name, due=start) for name in self.jobs]
        pool = (
            futures.ThreadPoolExecutor(self.max_parallel, thread_name_prefix="kiter-job")
            if self.max_parallel > 1
            else None
        )
        try:
            self._until_done(jobs, pool)
        except KeyboardInterrupt:
            stopped = self._stop_all(jobs)
            if not stopped:
                raise
            raise Interrupted(
                f"interrupted: stopped {stopped} running iteration(s), each recorded FAILED "
                "with its lease released (or as it ended, had it ended first)"
            ) from None
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        return EXIT_FAILED if any(job.gave_up for job in jobs) else EXIT_OK

    # ---- the loop ---------------------------------------------------------------------------

    def _until_done(self, jobs: list[_Job], pool: futures.Executor | None) -> None:
        fatal: BaseException | None = None
        while True:
            if fatal is None:
                for job in sorted(jobs, key=lambda j: j.due):  # the longest overdue first
                    if not job.done and job.running is None and job.due <= self.clock():
                        if sum(j.running is not None for j in jobs) >= self.max_parallel:
                            break
                        job.running = self._start(pool, job.name)
            for job in jobs:
                if job.running is not None and job.running.done():
                    error = self._settle(job)
                    fatal = fatal or error
            running = [j.running for j in jobs if j.running is not None]
            if fatal is not None and not running:
                raise fatal
            if all(job.done for job in jobs) and not running:
                return
            self._wait(jobs, running)

    def _start(self, pool: futures.Executor | None, name: str) -> futures.Future[object]:
        if pool is not None:
            return pool.submit(self.run_one, name)
        done: futures.Future[object] = futures.Future()
        try:  # in this thread: a signal interrupts the iteration itself, as in `kiter submit`
            done.set_result(self.run_one(name))
        except Exception as exc:
            done.set_exception(exc)
        return done

    def _settle(self, job: _Job) -> BaseException | None:
        """Take the job's finished iteration into account; an error to raise once others end."""
        assert job.running is not None
        error = job.running.exception()
        job.running = None
        now = self.clock()
        if error is None:
            job.completed += 1
            job.retries = 0
            self.on_final(job.name, None)
            if self.iterations is not None and job.completed >= self.iterations:
                job.done = True
            else:
                self._due(job, self.cadence.next_after(now), "next iteration")
            return None
        if isinstance(error, IterationBusy):
            # Another run holds the logical name: this tick did not happen; wait for the next,
            # never sooner than a second (a zero --backoff must not poll the ledger in a spin).
            self.echo(f"{job.name}: {error}")
            pause = max(self.retry.first_backoff, BUSY_FLOOR)
            self._due(job, max(self.cadence.next_after(now), now + pause), "next iteration")
            return None
        if isinstance(error, RETRYABLE) and error.retryable:
            job.retries += 1
            if job.retries > self.retry.max_retries:
                self.echo(
                    f"{job.name}: giving up after {self.retry.max_retries} retries of the same "
                    f"iteration: {error}"
                )
                job.gave_up = job.done = True
                self.on_final(job.name, error)
                return None
            wait = self.retry.backoff(job.retries)
            self.echo(
                f"{job.name}: failed ({_first_line(error)}); retry {job.retries} of "
                f"{self.retry.max_retries} with the same iteration in {format_duration(wait)}"
            )
            job.due = now + wait
            return None
        job.done = True  # credentials, permissions, bad configuration: waiting mends nothing
        self.on_final(job.name, error)
        return error

    def _due(self, job: _Job, when: float, what: str) -> None:
        job.due = when
        if when > self.clock():
            prefix = f"{job.name}: " if len(self.jobs) > 1 else ""
            self.echo(f"{prefix}{what} at {self._shown(when)}")

    def _wait(self, jobs: list[_Job], running: list[futures.Future[object]]) -> None:
        """Until a running iteration ends or the next job is due, in short naps (signals)."""
        idle = [j.due for j in jobs if not j.done and j.running is None]
        wake = min(idle, default=self.clock() + 1.0)
        if not running:
            self._sleep_until(wake)
            return
        # Naps on the injected sleep, not a wait on the futures: a test's clock moves with them.
        while not any(f.done() for f in running) and (left := wake - self.clock()) > 0:
            self.sleep(min(left, _NAP))
        if not any(f.done() for f in running) and wake <= self.clock():
            self.sleep(_NAP)  # the pool is full: a job is due, none has ended yet

    def _stop_all(self, jobs: list[_Job]) -> int:
        """Ask every running iteration to stop and wait until each has recorded its outcome;
        how many there were."""
        self.stop.request()
        running = [j.running for j in jobs if j.running is not None and not j.running.done()]
        if running:
            self.echo(f"stopping {len(running)} running iteration(s)")
        while running:
            try:
                futures.wait(running)
                break
            except KeyboardInterrupt:  # a second Ctrl-C: the iterations are stopping already
                continue
        return len(running)

    def _wait_for(self, wake: float, what: str) -> None:
        if wake > self.clock():
            self.echo(f"{what} at {self._shown(wake)}")
            self._sleep_until(wake)

    def _shown(self, wake: float) -> str:
        if self.zone is UTC:
            return f"{datetime.fromtimestamp(wake, UTC):%Y-%m-%d %H:%M:%SZ}"
        local = datetime.fromtimestamp(wake, self.zone)
        return f"{local:%Y-%m-%d %H:%M:%S%z} ({self.zone})"

    def _sleep_until(self, wake: float) -> None:
        # Short naps so a signal is handled promptly even with a long cadence.
        while (left := wake - self.clock()) > 0:
            self.sleep(min(left, 1.0))


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def shared_streams(jobs: Sequence[tuple[str, str, str]]) -> list[str]:
    """Warnings for streams read by several logical names: they share 2 MB/s per shard.

    `jobs` holds (job, stream, logical name) triples.
    """
    readers: dict[str, set[str]] = {}
    for _job, stream, logical in jobs:
        readers.setdefault(stream, set()).add(logical)
    return [
        f"stream {stream} is read by {len(names)} logical names ({', '.join(sorted(names))}): "
        f"they share each shard's 2 MB/s read limit, about {2 / len(names):.2g} MB/s each"
        for stream, names in sorted(readers.items())
        if len(names) > 1
    ]
