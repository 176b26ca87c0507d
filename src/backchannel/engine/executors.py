"""Where chunks run: in this process (:class:`LocalExecutor`), on a pool of worker
processes on this machine (:class:`ProcessExecutor`, standard library, every core) or on
Dask (:class:`DaskExecutor`, a local process cluster or an existing scheduler).

All map a function over chunk tasks and return the results *in task order*, whatever
the order of completion, so a sweep's result depends only on its seed and the fixed chunk
size, never on the engine or the number of workers. ``progress`` is called once per
finished chunk. ``imap`` yields the results one by one, in task order, with at most
``window`` tasks submitted and not yet yielded, so a long sweep's memory does not grow
with its length.

The process pool starts its workers with the ``spawn`` method (a fresh interpreter that
imports what the tasks need; no state forked from the parent, so it is safe with threads
and the same on Linux, macOS and Windows). Scripts that use it need the usual
``if __name__ == "__main__":`` guard. Its workers run the expected-utility model's tiles
on one thread each (``BACKCHANNEL_THREADS=1``): the pool already uses every core.

Dask's local cluster starts worker processes; scripts that use it need the usual
``if __name__ == "__main__":`` guard. Workers of an existing cluster (``address``) keep
their own environment: start them with ``MALLOC_TRIM_THRESHOLD_`` unset or large (see
:data:`LOCAL_WORKER_ENV`) for full speed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

from backchannel._cores import usable_cores

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[int], None]

#: Environment of the local cluster's worker processes. Dask sets
#: ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes glibc's mmap threshold at 128 KiB,
#: so every numpy temporary above it is a fresh mmap with page faults: measured here it
#: doubles the CPU time of a chunk. Larger thresholds restore the speed of a plain process
#: (memory goes back to the OS less eagerly, which is harmless for short sweeps).
LOCAL_WORKER_ENV = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 1 << 28,
    "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 1 << 25,
    # one thread per worker for the EUM's tiles, as in the local pool
    "distributed.nanny.pre-spawn-environ.BACKCHANNEL_THREADS": 1,
}


class Executor(Protocol):
    name: str

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> list[R]: ...

    def imap(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> Iterator[R]: ...


def _windowed(
    submit: Callable[[T], Any],
    result: Callable[[Any], R],
    done: Callable[[Any], None],
    tasks: Sequence[T],
    window: int,
    cancel: Callable[[Any], None],
) -> Iterator[R]:
    """Yield ``result(f)`` of the futures ``submit(t)`` in task order, keeping at most
    ``window`` submitted and not yet yielded; ``done(f)`` once each finishes (progress);
    ``cancel(f)`` for the pending ones when the consumer stops early or fails."""
    from collections import deque

    pending: deque[Any] = deque()
    it = iter(tasks)
    try:
        for t in it:
            pending.append(submit(t))
            if len(pending) >= window:
                break
        while pending:
            f = pending.popleft()
            r = result(f)
            done(f)
            nxt = next(it, None)
            if nxt is not None:
                pending.append(submit(nxt))
            yield r
    finally:
        for f in pending:
            cancel(f)


class LocalExecutor:
    """Runs chunks one after another in this process (numpy does the vectorising)."""

    name = "local"

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> list[R]:
        return list(self.imap(fn, tasks, progress))

    def imap(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> Iterator[R]:
        for t in tasks:
            r = fn(t)
            if progress is not None:
                progress(1)
            yield r

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": 1}


def _worker_init() -> None:
    os.environ["BACKCHANNEL_THREADS"] = "1"


def _warm(_: int) -> None:
    """Import what chunk tasks need, so a worker is ready before the first chunk."""
    import backchannel.engine.batch  # noqa: F401


class ProcessExecutor:
    """Runs chunks on ``workers`` worker processes of this machine (default: every usable
    core), started with ``spawn``; results in task order.

    Use as a context manager: the workers start on entry (and import the engine at once,
    in parallel with whatever the caller does next) and stop on exit.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or usable_cores()
        self._pool: Any | None = None

    def __enter__(self) -> ProcessExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
        )
        for _ in range(self.workers):
            self._pool.submit(_warm, 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> list[R]:
        from concurrent.futures import as_completed

        if self._pool is None:
            raise RuntimeError("use ProcessExecutor as a context manager (`with ...:`)")
        futures = [self._pool.submit(fn, t) for t in tasks]
        try:
            for _ in as_completed(futures):
                if progress is not None:
                    progress(1)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        return [f.result() for f in futures]

    def imap(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> Iterator[R]:
        if self._pool is None:
            raise RuntimeError("use ProcessExecutor as a context manager (`with ...:`)")
        pool = self._pool
        return _windowed(
            lambda t: pool.submit(fn, t),
            lambda f: f.result(),
            lambda f: progress(1) if progress is not None else None,
            tasks,
            2 * self.workers,
            lambda f: f.cancel(),
        )

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": self.workers}


class DaskExecutor:
    """Runs chunks on Dask: a new ``LocalCluster(n_workers=workers, threads_per_worker=1,
    processes=True)`` when ``address`` is None, else the scheduler at ``address``.

    Use as a context manager; the cluster (if this executor started it) is closed on exit.
    ``client`` may be an existing ``distributed.Client`` to reuse (it is not closed).
    ``timeout`` (seconds) bounds one ``map``: a cluster that loses its workers raises
    instead of waiting for ever.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int = 2,
        client: Any | None = None,
        timeout: float = 3600.0,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.workers = workers
        self._client = client
        self._own_client = client is None
        self._cluster: Any | None = None

    def __enter__(self) -> DaskExecutor:
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.address is None:
                import dask

                with dask.config.set(LOCAL_WORKER_ENV):
                    self._cluster = LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                    )
                self._client = Client(self._cluster)
            else:
                try:
                    self._client = Client(self.address, timeout="10s")
                except (OSError, ValueError, TypeError) as exc:
                    from backchannel.scenario.errors import InputError

                    raise InputError(
                        f"cannot reach a Dask scheduler at {self.address}: {exc}",
                        source="--address",
                        fix="start one (`dask scheduler`) or give its address as "
                        "tcp://HOST:8786; omit --address to start a local cluster",
                    ) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    @property
    def client(self) -> Any:
        if self._client is None:
            raise RuntimeError("use DaskExecutor as a context manager (`with ...:`)")
        return self._client

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> list[R]:
        from distributed import as_completed

        if not tasks:
            return []
        futures = self.client.map(fn, list(tasks), pure=False)
        try:
            for _ in as_completed(futures, timeout=self.timeout):
                if progress is not None:
                    progress(1)
        except TimeoutError:
            self.client.cancel(futures)
            raise RuntimeError(
                f"the Dask cluster did not finish {len(tasks)} chunks in {self.timeout:g} s "
                f"(workers: {self.describe().get('workers')}); were workers lost?"
            ) from None
        results: list[R] = self.client.gather(futures)  # in submission order
        return results

    def imap(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> Iterator[R]:
        client = self.client
        return _windowed(
            lambda t: client.submit(fn, t, pure=False),
            lambda f: f.result(timeout=self.timeout),
            lambda f: progress(1) if progress is not None else None,
            tasks,
            2 * max(int(self.describe().get("workers") or 1), 1),
            lambda f: f.cancel(),
        )

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"engine": self.name, "address": self.address}
        if self._client is not None:
            info["workers"] = len(self._client.scheduler_info().get("workers", {}))
        return info
