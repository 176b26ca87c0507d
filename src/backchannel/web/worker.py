"""Run the dashboard's computations in child processes, never in the server process.

Parsing an upload, validating a scenario, analysing it and running a job all happen in a
process forked from a ``forkserver`` that has imported the computing modules once (so a
child starts in about 15 ms). The server process only moves bytes: a large or hostile
input cannot hold its event loop or its GIL, and a computation that runs over its time is
stopped by killing its process (``SIGKILL``), which frees everything it held.

A child reports back through a pipe: ``("ok", result)`` or ``("internal", traceback)``
for a bug (logged by the server, never shown). Jobs also send ``("progress", fraction,
phase)`` messages on the way (:mod:`.jobs`).
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

PRELOAD = ["backchannel.web.compute", "backchannel.web.warmup"]

_ctx_lock = threading.Lock()
_ctx: Any = None


class TimedOut(Exception):
    """The computation ran over its time and its process was stopped."""


class Crashed(Exception):
    """The child process ended without an answer (killed, out of memory, a bug)."""


def context() -> Any:
    """The forkserver context, preloading the computing modules (made once)."""
    global _ctx
    with _ctx_lock:
        if _ctx is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _ctx = ctx
        return _ctx


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result: tuple[Any, ...] = ("ok", fn(*args))
    except BaseException:
        result = ("internal", traceback.format_exc())
    try:
        conn.send(result)
    finally:
        conn.close()


def start(
    target: Callable[..., Any], args: tuple[Any, ...]
) -> tuple[multiprocessing.process.BaseProcess, Connection]:
    """Start ``target(conn, *args)`` in a child; returns the process and the read end."""
    ctx = context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(send, *args), daemon=True)
    proc.start()
    send.close()
    return proc, recv


def stop(proc: multiprocessing.process.BaseProcess, conn: Connection) -> None:
    """Kill the child if it still runs, and release it."""
    if proc.is_alive():
        proc.kill()
    proc.join()
    conn.close()


def run(fn: Callable[..., Any], *args: Any, timeout: float) -> Any:
    """``fn(*args)`` in a child process (blocking; call it from a worker thread).

    Raises :class:`TimedOut` after ``timeout`` seconds (the child is killed) and
    :class:`Crashed` if the child dies or fails with a bug (its traceback is the message).
    """
    proc, conn = start(_child, (fn, args))
    try:
        if not conn.poll(timeout):
            raise TimedOut(f"{fn.__name__} ran over {timeout:g} s")
        try:
            status, value = conn.recv()
        except EOFError:
            raise Crashed(f"{fn.__name__}: the process ended without an answer") from None
    finally:
        stop(proc, conn)
    if status != "ok":
        raise Crashed(value)
    return value


def warm() -> None:
    """Start the forkserver (and its imports) now rather than on the first request."""
    run(_noop, timeout=120)


def _noop() -> None:
    return None
