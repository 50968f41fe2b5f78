"""Run the app under gunicorn in-process: the embedded `tuchuang serve`."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from tuchuang.config import Config
from tuchuang.gunicorn_settings import settings


class EmbeddedServer(BaseApplication):
    """Gunicorn with guarded threaded workers; each worker builds its own app (no pools before fork)."""

    def __init__(self, config: Config) -> None:
        self.config_ = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in settings(self.config_, behind_proxy=False).items():
            self.cfg.set(key, value)
        self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        from tuchuang.app import create_app

        return create_app(self.config_)


def run(config: Config) -> None:
    EmbeddedServer(config).run()
