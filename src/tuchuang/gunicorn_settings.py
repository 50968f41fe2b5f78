"""gunicorn's settings for both ways to run, in one place: `tuchuang serve` (the embedded server,
clients connect to gunicorn itself) and deploy/gunicorn.conf.py (behind nginx, which buffers every
request and body before it passes them on). Where the two differ, the reason is beside the value."""

from __future__ import annotations

import os
from typing import Any

from tuchuang.config import Config
from tuchuang.logs import gunicorn_logconfig

# The embedded server logs one access line per request (there is no nginx to do it), with the
# request id the app sends back in X-Request-Id.
ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms [%({x-request-id}o)s]'


def post_worker_init(worker: Any) -> None:
    """Log the uploads a stop finishes or cuts (src/tuchuang/shutdown.py)."""
    from tuchuang.shutdown import install

    install(worker.cfg.graceful_timeout)


def settings(config: Config, *, behind_proxy: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "bind": f"{config.host}:{config.port}",
        "workers": config.workers,
        "threads": config.threads,
        # A FastDFS upload of a 1 GiB body is the longest thing a worker does.
        "timeout": 300,
        "graceful_timeout": config.graceful_timeout,  # uploads in flight get this long on SIGTERM
        "post_worker_init": post_worker_init,
        "proc_name": "tuchuang",
        "loglevel": config.log_level.lower(),
        "logconfig_dict": gunicorn_logconfig(config),
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
