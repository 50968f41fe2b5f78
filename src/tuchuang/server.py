"""Run the app under gunicorn in-process: the embedded `tuchuang serve`."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from tuchuang.config import Config


class EmbeddedServer(BaseApplication):
    """Gunicorn with threaded workers; each worker builds its own app (no pools before fork)."""

    def __init__(self, config: Config) -> None:
        self.config_ = config
        super().__init__()

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": f"{self.config_.host}:{self.config_.port}",
            "workers": self.config_.workers,
            "worker_class": "tuchuang.worker.Worker",  # gthread, guarded against slow clients
            "threads": self.config_.threads,
            "timeout": 120,
            "graceful_timeout": self.config_.graceful_timeout,
            "post_worker_init": _watch_uploads,
            "keepalive": 5,
            "loglevel": self.config_.log_level.lower(),
            "proc_name": "tuchuang",
            "control_socket_disable": True,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from tuchuang.app import create_app

        return create_app(self.config_)


def _watch_uploads(worker: Any) -> None:
    from tuchuang.shutdown import install

    install(worker.cfg.graceful_timeout)


def run(config: Config) -> None:
    EmbeddedServer(config).run()
