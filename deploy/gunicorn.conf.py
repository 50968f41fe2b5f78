"""gunicorn for the production shape, behind deploy/nginx/tuchuang.conf.

    gunicorn -c deploy/gunicorn.conf.py

Settings come from the same TUCHUANG_* variables as `tuchuang serve` (README: Configuration).
No application code runs in the master: each worker imports `tuchuang.wsgi` after the fork and
opens its own database, Redis and FastDFS connections.
"""

from tuchuang.config import Config

_config = Config.from_env()  # fails here, before any worker starts, on a bad setting

wsgi_app = "tuchuang.wsgi:app"
bind = f"{_config.host}:{_config.port}"  # 127.0.0.1:8080 by default: only nginx talks to it
workers = _config.workers
worker_class = "gthread"
threads = _config.threads
preload_app = False  # no pools before fork

# nginx hands over spooled uploads, so a request is short; a FastDFS upload of a 1 GiB body is
# the longest thing a worker does.
timeout = 300
graceful_timeout = _config.graceful_timeout  # uploads in flight get this long on SIGTERM
keepalive = 75  # longer than nginx's upstream keepalive (60 s): nginx closes first, never mid-request

forwarded_allow_ips = ",".join(_config.trusted_proxies)
worker_tmp_dir = "/dev/shm"
accesslog = None  # nginx logs every request; a second log line per request here costs throughput
errorlog = "-"
loglevel = _config.log_level.lower()
proc_name = "tuchuang"


def post_worker_init(worker):  # noqa: ANN001, ANN201 - a gunicorn hook
    """Log the uploads a stop finishes or cuts (src/tuchuang/shutdown.py)."""
    from tuchuang.shutdown import install

    install(worker.cfg.graceful_timeout)
