"""Logging for both ways to run: text lines or JSON objects (TUCHUANG_LOG_FORMAT), each carrying
the id of the request it belongs to (`-` outside requests). Passwords, tokens and spool paths are
never logged: messages name users, operations and reasons only."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from typing import Any

from tuchuang.config import Config

REQUEST_ID: ContextVar[str] = ContextVar("tuchuang_request_id", default="-")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def _install_record_factory() -> None:
    """Every log record carries the request id, whichever handler writes it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "tuchuang", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    factory.tuchuang = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_record_factory()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def handler(log_format: str) -> logging.Handler:
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(formatter(log_format))
    out.addFilter(RequestIdFilter())
    return out


def setup(config: Config) -> None:
    """The root logger writes to stderr in the configured format, at the configured level."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "tuchuang", False)]:
        root.removeHandler(old)
    new = handler(config.log_format)
    new.tuchuang = True  # type: ignore[attr-defined]
    root.addHandler(new)
    root.setLevel(config.log_level)
