"""Analysis commands: ``analyze`` and ``what-it-takes``."""

from __future__ import annotations
