"""The gunicorn target: `gunicorn tuchuang.wsgi:app` (configuration from TUCHUANG_* variables)."""

from tuchuang.app import create_app
from tuchuang.config import Config

app = create_app(Config.from_env())
