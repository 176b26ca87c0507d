"""Background jobs for long runs (forecasts, sweeps): a queue, caps, progress and cancel.

At most :attr:`Settings.max_jobs` jobs run at once, each in its own child process
(:func:`backchannel.web.compute.job_main`, started by :mod:`.worker`); up to
:attr:`Settings.max_queued_jobs` more wait their turn, and a job beyond that is refused
(:class:`TooBusy`, HTTP 429). A supervising thread per running job reads the child's
progress messages; cancelling, or running over :attr:`Settings.job_timeout`, kills the
child, which stops a sweep at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backchannel.web import worker
from backchannel.web.problems import internal_error
from backchannel.web.settings import Settings


class TooBusy(Exception):
    """No room for another job (running and waiting slots are all taken)."""


@dataclass
class Job:
    id: str
    kind: str
    state: str = "queued"  # queued | running | done | cancelled | error
    progress: float = 0.0
    phase: str = "waiting for a free slot"
    result: str | None = None  # the result as JSON text
    error: str | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 4),
            "phase": self.phase,
            "error": self.error,
        }


Target = Callable[..., None]


class JobManager:
    """Runs, queues and tracks jobs (keeps the most recent ``keep`` of them)."""

    def __init__(self, settings: Settings, keep: int = 50, target: Target | None = None) -> None:
        from backchannel.web.compute import job_main

        self.settings = settings
        self._target = target or job_main
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[tuple[Job, bytes, Mapping[str, Any]]] = deque()
        self._running = 0
        self._lock = threading.Lock()
        self._keep = keep

    def submit(self, kind: str, body: bytes, params: Mapping[str, Any]) -> Job:
        """Queue a job (``body`` is the request, ``params`` its checked parameters)."""
        s = self.settings
        job = Job(id=uuid.uuid4().hex[:12], kind=kind)
        with self._lock:
            if self._running >= s.max_jobs and len(self._waiting) >= s.max_queued_jobs:
                raise TooBusy(
                    f"too many jobs: {self._running} running and {len(self._waiting)} "
                    "waiting (the server's limits)\n  fix: wait for one to finish, or cancel one"
                )
            self._jobs[job.id] = job
            self._waiting.append((job, body, params))
            finished = [j for j in self._jobs.values() if j.state not in ("queued", "running")]
            for old in finished[: max(0, len(self._jobs) - self._keep)]:
                del self._jobs[old.id]
        self._launch()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            job.cancel_event.set()
            if job.state == "queued":
                self._waiting = deque(w for w in self._waiting if w[0] is not job)
                job.state, job.phase = "cancelled", "cancelled before it started"
        return job

    def _launch(self) -> None:
        with self._lock:
            while self._waiting and self._running < self.settings.max_jobs:
                job, body, params = self._waiting.popleft()
                self._running += 1
                job.state, job.phase = "running", "starting"
                threading.Thread(
                    target=self._supervise, args=(job, body, params), daemon=True
                ).start()

    def _supervise(self, job: Job, body: bytes, params: Mapping[str, Any]) -> None:
        try:
            self._run(job, body, params)
        except Exception as exc:  # the supervisor itself failed: never leave a job running
            job.error, job.state = internal_error(repr(exc), "job")["text"], "error"
        finally:
            with self._lock:
                self._running -= 1
            self._launch()

    def _run(self, job: Job, body: bytes, params: Mapping[str, Any]) -> None:
        proc, conn = worker.start(self._target, (body, params))
        limit = self.settings.job_timeout
        deadline = time.monotonic() + limit
        try:
            while True:
                if job.cancel_event.is_set():
                    job.state = "cancelled"
                    return
                if time.monotonic() > deadline:
                    job.error = (
                        f"the {job.kind} was stopped after {limit:g} s (the server's limit "
                        "per job)\n  fix: run fewer draws, or raise BACKCHANNEL_JOB_TIMEOUT"
                    )
                    job.state = "error"
                    return
                if not conn.poll(0.1):
                    continue
                try:
                    msg = conn.recv()
                except EOFError:
                    msg = ("internal", f"the {job.kind} process ended without an answer")
                if msg[0] == "progress":
                    job.progress = max(0.0, min(1.0, msg[1]))
                    job.phase = msg[2]
                    continue
                if msg[0] == "done":
                    job.result, job.progress, job.state = msg[1], 1.0, "done"
                elif msg[0] == "input":
                    job.error, job.state = msg[1], "error"
                else:
                    job.error, job.state = internal_error(msg[1], job.kind)["text"], "error"
                return
        finally:
            worker.stop(proc, conn)
