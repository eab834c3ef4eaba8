"""The skeleton of a target whose runs live on an AWS service: EMR steps, EMR Serverless job runs.

A remote run is started by one API call, named by the iteration's tag, polled until it ends and,
when it failed, explained from the logs the service pushes to S3. `RemoteTarget` does that once
for every such service, laid out as mrjob's log mixin is: stuff to redefine (what a run is called,
how it is listed, looked at, started, cancelled and explained), stuff to call (the place runs
go to, a run's name), and stuff that should just work (the `targets/base.py` protocol:
find by tag, start with a cancel on interrupt, follow with backoff and throttling, explain).

It owns what every remote target has: its name, the S3 side (`StepFiles`, which also fetches a
failed run's logs within their bound; `steplogs.py` reads them for a probable cause), the echo,
the progress line (state and time in it, from the service's own times where it gives them), the
clocks and the sleep. It does not talk to AWS itself (each target holds its API wrapper,
`emr_api.py`), knows nothing of the ledger or of rendering, and prints nothing but through the
echo and the progress.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, ClassVar, Required, TypedDict

from kiter import pausepoints
from kiter.durations import format_duration
from kiter.echo import NO_PROGRESS, Progress
from kiter.errors import Interrupted, KiterError, ServiceError
from kiter.targets.base import UNWATCHED, Abandoned, Echo, Handle, Outcome, Script, Watch, no_echo
from kiter.targets.emr_s3 import StepFiles
from kiter.targets.polling import (
    THROTTLE_CODES,
    Backoff,
    cancel_quietly,
    checked_poll_seconds,
    only_named,
)

Run = dict[str, Any]  # a run as the service describes it (a step, a job run)


class RemoteOptions(TypedDict, total=False):
    """What every remote target is built with, besides its name and where its runs go."""

    s3: Required[Any]  # a botocore S3 client: scripts go up, logs come down
    script_prefix: Required[str]  # s3://bucket/prefix the scripts go under
    echo: Echo  # progress
    progress: Progress  # the status line of a wait
    poll_seconds: tuple[float, float]  # the first and the longest wait between two looks
    log_wait_seconds: float  # how long a failed run's logs are waited for
    clock: Callable[[], float]
    now: Callable[[], float]  # wall time: the services' own times are wall times
    sleep: Callable[[float], None]


class RemoteTarget(ABC):
    """Runs scripts uploaded to S3 as runs of an AWS service, one run per start."""

    detachable = True

    # -- stuff to redefine: how progress and errors speak of this service's runs ----------------

    service = ""  # who is asked: "EMR"
    noun = ""  # what a run is called: "step"
    look_call = ""  # the API call polling makes: "DescribeStep"
    starting = ""  # what start() does: "adding step"
    took_anyway = ""  # "... {name} reported an error, but EMR has it as {found}"
    unchecked = ""  # "could not check whether EMR added it: look for step {name}"
    not_started = ""  # "EMR had not added it"
    # The states a run in progress is in (an active run of an iteration is followed, not
    # started again); a run ends in `succeeded` or one of `failed`.
    active_states: ClassVar[list[str]] = []
    succeeded = ""
    failed_states: frozenset[str] = frozenset()
    # Where a start that reported an error may have left its run (None: in any state).
    taken_states: ClassVar[list[str] | None] = None
    # How often the same start call may be sent: more than once only with a client token.
    start_tries = 1
    # Progress repeats a state at least this often while a run stays in it (None: never).
    heartbeat_seconds: float | None = None

    # Where runs go (a cluster, an application): settings give `<place>_id`, or `<place>_name`,
    # looked up once among `_live_places()`; `live_place` and `live_listing` word the lookup.
    place = ""  # "cluster"
    live_place = ""  # "RUNNING/WAITING EMR cluster"
    live_listing = ""  # "live clusters"

    def __init__(
        self,
        name: str,
        *,
        place_id: str | None,
        place_name: str | None,
        s3: Any,
        script_prefix: str,
        echo: Echo = no_echo,
        progress: Progress = NO_PROGRESS,
        poll_seconds: tuple[float, float] = (15, 30),
        log_wait_seconds: float = 600,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.poll_seconds = checked_poll_seconds(poll_seconds, where=name)
        self.name = name
        self._place_id = place_id
        self.place_name = place_name
        self.echo = echo
        self.progress = progress
        self.clock = clock
        self.now = now
        self.sleep = sleep
        self.files = StepFiles(
            s3,
            script_prefix,
            name=name,
            echo=echo,
            longest_poll=self.poll_seconds[1],
            log_wait_seconds=log_wait_seconds,
            clock=clock,
            sleep=sleep,
        )

    @abstractmethod
    def _live_places(self) -> list[tuple[str, str]]:
        """(name, id) of every place a name may be looked up among."""

    @abstractmethod
    def _listed(self, states: list[str] | None) -> Iterator[tuple[str, str]]:
        """(name, run id) of the service's runs in `states` (None: all), newest first."""

    @abstractmethod
    def _handle(self, run_id: str) -> Handle:
        """The handle (and ledger submission id) of a run the service calls `run_id`."""

    @abstractmethod
    def _run_id(self, handle: Handle | str) -> str:
        """The service's own id of the run a handle or submission id names."""

    @abstractmethod
    def _look(self, handle: Handle | str) -> Run:
        """The run as the service describes it now; ServiceError (with AWS's code) when not."""

    @abstractmethod
    def _state(self, run: Run) -> str:
        """The run's state as the service names it."""

    @abstractmethod
    def _request(self, script: Script) -> dict[str, Any]:
        """What the start call needs; refusals and limits are checked here, before any upload."""

    @abstractmethod
    def _ready(self) -> None:
        """Make sure the service can take the run (a cluster found, an application started)."""

    @abstractmethod
    def _start_call(self, request: dict[str, Any]) -> str:
        """The one API call that starts the run; returns its id. Nothing else happens here."""

    @abstractmethod
    def _started(self, run_id: str, name: str) -> str:
        """The progress line once the service gave the run an id."""

    @abstractmethod
    def _state_line(self, run: Run, state: str, last: str, in_last: float, age: float) -> str:
        """Progress when a run moved from `last` (after `in_last` s) to `state`, `age` s in."""

    @abstractmethod
    def _script_url_of(self, run: Run) -> str:
        """The s3:// URL of the script the run reads."""

    @abstractmethod
    def _explain(
        self, run: Run, *, wait_for_logs: bool, seen_running: bool, wait_seconds: float | None
    ) -> str:
        """Why a run that ended badly failed, a few lines (`wait_seconds` None: the target's)."""

    @abstractmethod
    def cancel(self, handle: Handle | str) -> str:
        """Ask the service to stop the run; returns its answer, for the record."""

    def _since(self, run: Run, state: str) -> float | None:
        """When the run entered `state`, in epoch seconds, as the service tells it (None: it
        does not say)."""
        del run, state
        return None

    def _success(self, run: Run, submission_id: str) -> Outcome:
        """The outcome of a run that succeeded (a target may read back what it wrote)."""
        del run
        return Outcome(state="SUCCEEDED", submission_id=submission_id)

    def _detail(self, run: Run) -> str:
        """What the progress line shows after the state and the time in it ("" when nothing)."""
        del run
        return ""

    def console_link(self, run_id: str) -> str:
        """Where the run can be watched in the AWS console ("" when there is no such page)."""
        del run_id
        return ""

    def run_tag(self, script: Script) -> str:
        """The iteration's tag as this service's run names carry it."""
        return script.tag

    def _may_start_again(self, error: ServiceError) -> bool:
        """Whether a start call that failed so may be sent again (with the same client token)."""
        del error
        return False

    # -- stuff to call ---------------------------------------------------------------------------

    @property
    def place_id(self) -> str:
        """The id of the place runs go to, looked up once by name if need be."""
        if self._place_id is None:
            self._place_id = only_named(
                self._live_places(),
                self.place_name or "",
                many=f"{self.live_place}s",
                one=self.live_place,
                listing=self.live_listing,
                key=f"{self.place}_id",
                where=self.name,
            )
        return self._place_id

    def run_name(self, script: Script) -> str:
        return f"{self.run_tag(script)}:{script.attempt}"

    def script_url(self, script: Script) -> str:
        return self.files.script_url(script)

    def _run_named(self, wanted: Callable[[str], bool], states: list[str] | None) -> str:
        """The id of a run in `states` whose name is wanted ('' when none)."""
        return next((run_id for name, run_id in self._listed(states) if wanted(name)), "")

    # -- stuff that should just work: the two-phase protocol ----------------------------------

    def find(self, script: Script) -> Handle | None:
        """An active run of this iteration, whichever attempt started it."""
        tag = self.run_tag(script)
        run_id = self._run_named(lambda name: tag_of(name) == tag, self.active_states)
        return self._handle(run_id) if run_id else None

    def start(self, script: Script, watch: Watch = UNWATCHED) -> Handle:
        """Check, make the service ready, upload the script, fence, start the run; returns once
        the service gave the run an id."""
        request = self._request(script)
        name = self.run_name(script)
        # Several calls (S3, the service, the ledger's fence): one wait on the status line.
        with self.progress.calling(f"{self.service} to take {self.noun} {name}"):
            self._ready()
            self.files.upload(script)
            pausepoints.reach("after-upload")
            try:
                run_id = self._start_run(request, name, watch)
            except KeyboardInterrupt:
                # The call may have reached the service: a run left behind would run unrecorded.
                raise Interrupted(
                    f"interrupted while {self.starting} {name}; {self._cancel_started(name)}"
                ) from None
        self.echo(self._started(run_id, name))
        return self._handle(run_id)

    def follow(self, handle: Handle, watch: Watch) -> Outcome:
        """Follow the run to its end; Ctrl-C cancels it and raises Interrupted."""
        run_id = self._run_id(handle)
        link = self.console_link(run_id)
        if link:
            self.echo(f"{self.noun} {run_id} in the console: {link}")
        try:
            run, seen_running = self._poll_until_done(handle, watch)
        except KeyboardInterrupt:
            note = self._cancel_quietly(handle)
            raise Interrupted(
                f"interrupted while waiting for {self.noun} {run_id}; {note}"
            ) from None
        finally:
            self.progress.done()
        self.files.delete_run_copy_at(self._script_url_of(run))
        if self._state(run) == self.succeeded:
            return self._success(run, handle.id)
        try:
            cause = self._explain(
                run, wait_for_logs=True, seen_running=seen_running, wait_seconds=None
            )
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted while fetching the logs of {self.noun} {run_id}"
            ) from None
        return Outcome(state="FAILED", submission_id=handle.id, cause=cause)

    def explain(self, submission: str, *, wait_seconds: float = 0) -> str:
        """Why the run failed, from the service's answer and its logs (for `kiter logs`)."""
        run = self._look(submission)
        state = self._state(run)
        if state not in self.failed_states:
            return f"{self.noun} {self._run_id(submission)} is {state}"
        return self._explain(
            run, wait_for_logs=wait_seconds > 0, seen_running=True, wait_seconds=wait_seconds
        )

    def _start_run(self, request: dict[str, Any], name: str, watch: Watch) -> str:
        for tries in range(1, self.start_tries + 1):
            watch.fence()  # before every try: the wait between tries may outlast the lease
            try:
                return self._start_call(request)
            except ServiceError as exc:
                # A call that timed out may have started the run: look before saying it failed
                # (or trying again, which a service without a client token would run twice).
                found = self._run_named(lambda found: found == name, self.taken_states)
                if found:
                    self.echo(self.took_anyway.format(name=name, found=found))
                    return found
                if tries == self.start_tries or not self._may_start_again(exc):
                    raise
                said = exc.__cause__ or exc  # botocore's own words
                self.echo(f"{self.starting} {name} failed ({said}); again, with the same token")
                self.sleep(self.poll_seconds[0])
        raise AssertionError("unreachable")  # pragma: no cover

    def _cancel_started(self, name: str) -> str:
        try:
            run_id = self._run_named(lambda found: found == name, self.active_states)
        except (KiterError, KeyboardInterrupt):
            return self.unchecked.format(name=name)
        return self._cancel_quietly(self._handle(run_id)) if run_id else self.not_started

    def _cancel_quietly(self, handle: Handle) -> str:
        return cancel_quietly(lambda: self.cancel(handle), self.service)

    def _poll_until_done(self, handle: Handle, watch: Watch) -> tuple[Run, bool]:
        """The run once it ended, and whether it was seen RUNNING."""
        run_id = self._run_id(handle)
        backoff = Backoff(*self.poll_seconds, self.sleep)
        began = since = told = self.clock()
        last = ""
        seen_running = False
        while True:
            try:
                with self.progress.calling(f"{self.service} {self.look_call}"):
                    run = self._look(handle)
            except ServiceError as exc:
                if exc.code not in THROTTLE_CODES:
                    raise
                delay = backoff.throttled()
                self.echo(
                    f"{self.service} is throttling {self.look_call}; next look in {delay:.0f} s"
                )
                backoff.sleep_throttled()
                continue
            state = self._state(run)
            seen_running = seen_running or state == "RUNNING"
            entered = self._since(run, state)
            self.progress.update(f"{self.noun} {run_id} {state}", entered, self._detail(run))
            now = self.clock()
            if state != last:
                self.echo(self._state_line(run, state, last, now - since, now - began))
                last, since, told = state, now, now
            elif self.heartbeat_seconds is not None and now - told >= self.heartbeat_seconds:
                in_it = format_duration(now - since)
                self.echo(f"{self.noun} {run_id} still {state}, {in_it} in it")
                told = now
            if state == self.succeeded or state in self.failed_states:
                return run, seen_running
            if not watch.held():
                raise Abandoned(handle, f"stopped following {self.noun} {run_id}")
            backoff.wait()


def epoch_of(moment: Any) -> float | None:
    """Epoch seconds of a time botocore parsed (a datetime with its zone), None when absent."""
    return moment.timestamp() if isinstance(moment, datetime) else None


def tag_of(run_name: str) -> str:
    """The iteration's tag in a run name `<tag>:<attempt>`."""
    return run_name.rsplit(":", 1)[0]
