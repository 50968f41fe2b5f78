"""gunicorn for the production shape, behind deploy/nginx/tuchuang.conf.

    gunicorn -c deploy/gunicorn.conf.py

Settings come from the same TUCHUANG_* variables as `tuchuang serve` (README: Configuration), and
gunicorn's own from the one module both ways to run share (src/tuchuang/gunicorn_settings.py).
No application code runs in the master: each worker imports `tuchuang.wsgi` after the fork and
opens its own database, Redis and FastDFS connections.
"""

import sys

from tuchuang.config import Config, ConfigError
from tuchuang.gunicorn_settings import settings

try:
    _config = Config.from_env()  # fails here, before any worker starts, on a bad setting
except ConfigError as exc:
    print(f"tuchuang: configuration error: {exc}", file=sys.stderr)
    sys.exit(2)

wsgi_app = "tuchuang.wsgi:app"
preload_app = False  # no pools before fork
globals().update(settings(_config, behind_proxy=True))
