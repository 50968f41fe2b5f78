"""gunicorn's settings for both ways to run, in one place: `tuchuang serve` (the embedded server,
clients connect to gunicorn itself) and deploy/gunicorn.conf.py (behind nginx, which buffers every
request and body before it passes them on). Where the two differ, the reason is beside the value."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from gunicorn import glogging

from tuchuang import logs
from tuchuang.config import Config

# The embedded server logs one access line per request (there is no nginx to do it), with the
# request id the app sends back in X-Request-Id.
ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms [%({x-request-id}o)s]'


_LOG_FORMAT = {"value": "text"}  # set by settings(), in the master, before any worker forks


class GunicornLogger(glogging.Logger):
    """gunicorn's own error and access lines in tuchuang's format (text or JSON, request ids)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.formatter(_LOG_FORMAT["value"]))


def prepare_metrics(directory: Path) -> None:
    """Before the app (and prometheus_client) is imported anywhere: each worker writes its metrics
    into `directory`, emptied first, since values of earlier runs' processes would be added in."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def child_exit(server: Any, worker: Any) -> None:
    """A dead worker's live values no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    """Log the uploads a stop finishes or cuts (src/tuchuang/shutdown.py)."""
    from tuchuang.shutdown import install

    install(worker.cfg.graceful_timeout)


def settings(config: Config, *, behind_proxy: bool) -> dict[str, Any]:
    logs.setup(config)  # the app's own lines; the workers inherit it
    prepare_metrics(config.effective_metrics_dir)
    _LOG_FORMAT["value"] = config.log_format
    values: dict[str, Any] = {
        "bind": f"{config.host}:{config.port}",
        "workers": config.workers,
        "threads": config.threads,
        # A FastDFS upload of a 1 GiB body is the longest thing a worker does.
        "timeout": 300,
        "graceful_timeout": config.graceful_timeout,  # uploads in flight get this long on SIGTERM
        "post_worker_init": post_worker_init,
        "child_exit": child_exit,
        "proc_name": "tuchuang",
        "loglevel": config.log_level.lower(),
        "logger_class": "tuchuang.gunicorn_settings.GunicornLogger",
        "errorlog": "-",
        "forwarded_allow_ips": ",".join(config.trusted_proxies),
    }
    if os.path.isdir("/dev/shm"):
        values["worker_tmp_dir"] = "/dev/shm"  # the workers' heartbeat files, off the disk
    if behind_proxy:
        values.update(
            {
                "worker_class": "gthread",  # nginx buffers whole requests: no slow client reaches a thread
                "keepalive": 75,  # longer than nginx's upstream keepalive (60 s): nginx closes first
                "accesslog": None,  # nginx logs every request; a second line here costs throughput
            }
        )
    else:
        values.update(
            {
                "worker_class": "tuchuang.worker.Worker",  # gthread, guarded against slow clients
                "keepalive": 5,  # clients' idle connections hold threads: let them go soon
                "accesslog": "-",
                "access_log_format": ACCESS_FORMAT,
            }
        )
    return values
