"""Background jobs for long runs (forecasts, sweeps): progress and cooperative cancel.

A job runs a function ``fn(progress)`` in a daemon thread; ``progress(fraction, phase)``
records how far it is and raises :class:`Cancelled` once the user has asked to cancel,
so the run stops at its next progress report (a sweep reports after every chunk).
"""

from __future__ import annotations

import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backchannel.scenario.errors import InputError


class Cancelled(Exception):
    """Raised inside a job's progress callback after the user cancelled it."""


@dataclass
class Job:
    id: str
    kind: str
    state: str = "running"  # running | done | cancelled | error
    progress: float = 0.0
    phase: str = "starting"
    result: Any = None
    error: str | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 4),
            "phase": self.phase,
            "result": self.result if self.state == "done" else None,
            "error": self.error,
        }


class JobManager:
    """Runs and tracks jobs (keeps the most recent ``keep`` of them)."""

    def __init__(self, keep: int = 50) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep = keep

    def start(self, kind: str, fn: Callable[[Callable[[float, str], None]], Any]) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], kind=kind)

        def progress(fraction: float, phase: str) -> None:
            if job.cancel_event.is_set():
                raise Cancelled()
            job.progress = max(0.0, min(1.0, float(fraction)))
            job.phase = phase

        def run() -> None:
            try:
                result = fn(progress)
                if job.cancel_event.is_set():
                    job.state = "cancelled"
                    return
                job.result = result
                job.progress = 1.0
                job.state = "done"
            except Cancelled:
                job.state = "cancelled"
            except InputError as exc:
                job.error = exc.render()
                job.state = "error"
            except Exception as exc:  # shown to the user, never swallowed
                job.error = f"{type(exc).__name__}: {exc}\n" + traceback.format_exc(limit=3)
                job.state = "error"

        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                self._jobs.pop(next(iter(self._jobs)))
        threading.Thread(target=run, name=f"job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        job = self.get(job_id)
        if job is not None and job.state == "running":
            job.cancel_event.set()
        return job
