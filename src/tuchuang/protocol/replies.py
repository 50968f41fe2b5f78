"""What a handler returns: an outcome plus the fields and items of a successful answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tuchuang.services.outcomes import Outcome


@dataclass
class Reply:
    outcome: Outcome = Outcome.OK
    fields: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] | None = None


def listing(total: int, items: list[dict[str, Any]]) -> Reply:
    """A page of a list: code, count, total, files (PROTOCOL.md §4.6)."""
    return Reply(Outcome.OK, {"count": len(items), "total": total}, items)
