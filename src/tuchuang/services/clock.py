"""Injected time: epoch seconds in, the wire's local `YYYY-MM-DD HH:MM:SS` out."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


def local_time(epoch: float) -> str:
    """Format as the original servers do: server local time, no zone (DECISIONS.md D5)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))
