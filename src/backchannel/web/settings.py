"""The dashboard server's limits and trust settings, each overridable by an environment
variable ``BACKCHANNEL_<NAME>`` (``BACKCHANNEL_MAX_DRAWS=50000``).

Defaults suit one analyst on their own machine (``serve`` on 127.0.0.1). A shared server
behind a reverse proxy sets ``BACKCHANNEL_ALLOWED_HOSTS`` to the public host name and
``BACKCHANNEL_ALLOWED_ORIGINS`` to the public origin (``https://team.example.org``); see
``docs/security.md``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from backchannel.scenario.errors import InputError

PREFIX = "BACKCHANNEL_"


@dataclass(frozen=True)
class Settings:
    """What the server accepts. Sizes in bytes, times in seconds."""

    #: Host names (without port) the server answers to; anything else is refused
    #: (DNS-rebinding protection). ``*`` accepts any host (only behind a proxy that checks).
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    #: Origins besides the served one (``scheme://host[:port]`` of the request) that may
    #: send state-changing requests, e.g. ``https://team.example.org`` behind a TLS proxy.
    allowed_origins: tuple[str, ...] = ()
    #: Largest JSON request body.
    max_body: int = 4 * 1024 * 1024
    #: Largest uploaded scenario file (the multipart body may be 64 KiB larger).
    max_upload: int = 1024 * 1024
    #: Time allowed to receive a request body (slow senders are cut off).
    body_timeout: float = 30.0
    #: Computations (validation, analysis, parsing) running at once, each in its own
    #: process, and requests allowed to wait for one (more: HTTP 503).
    compute_slots: int = 2
    compute_queue: int = 16
    #: Time one computation may take before its process is stopped (HTTP 503).
    compute_timeout: float = 60.0
    #: Background jobs (forecasts, sweeps): running at once, waiting, and their limits.
    max_jobs: int = 2
    max_queued_jobs: int = 8
    max_draws: int = 200_000
    max_rounds: int = 1_000
    job_timeout: float = 900.0
    #: Problems listed per response (the rest are counted).
    max_errors: int = 200

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The defaults, overridden by ``BACKCHANNEL_*`` variables."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            var = PREFIX + f.name.upper()
            raw = env.get(var)
            if raw is None:
                continue
            values[f.name] = _parse(var, raw, f.default)
        return cls(**values)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, int | float) and not 0 < v < math.inf:
                raise InputError(
                    f"{f.name} must be positive, got {v}",
                    source=PREFIX + f.name.upper(),
                    fix=f"use a positive finite number (default {f.default})",
                )

    def host_allowed(self, host: str) -> bool:
        return "*" in self.allowed_hosts or host.lower() in self.allowed_hosts


def _parse(var: str, raw: str, default: object) -> object:
    if isinstance(default, tuple):
        return tuple(x.strip().lower().rstrip("/") for x in raw.split(",") if x.strip())
    kind = type(default)
    try:
        value = kind(raw.strip())  # type: ignore[call-arg]
    except (ValueError, OverflowError):
        raise InputError(
            f"not a {'whole ' if kind is int else ''}number: {raw[:40]!r}",
            source=var,
            fix=f"set it to a number such as {default}, or unset it",
        ) from None
    return value
