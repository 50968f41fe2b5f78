# The tuchuang app image: gunicorn with deploy/gunicorn.conf.py. nginx, MySQL, Redis and FastDFS
# run in their own containers (docker-compose.yml). Dependencies come from the lock file
# (requirements/app.txt, exact versions; README: Operations).
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# uid/gid 101 is the official nginx image's worker user: nginx writes upload spool files with
# mode 0600, and the app must be able to read them from the shared spool volume.
RUN groupadd --system --gid 101 tuchuang \
 && useradd --system --uid 101 --gid 101 --home-dir /var/lib/tuchuang --shell /usr/sbin/nologin tuchuang \
 && mkdir -p /var/lib/tuchuang/data /var/lib/tuchuang/spool /var/lib/tuchuang/nginx-spool /var/lib/tuchuang/front \
 && chown -R 101:101 /var/lib/tuchuang

WORKDIR /opt/tuchuang
COPY requirements/app.txt ./requirements/app.txt
RUN pip install -r requirements/app.txt
COPY setup.cfg pyproject.toml README.md ./
COPY src ./src
COPY sql ./sql
RUN pip install --no-deps .
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py

ENV TUCHUANG_DATA_DIR=/var/lib/tuchuang/data \
    TUCHUANG_SPOOL_DIR=/var/lib/tuchuang/spool \
    TUCHUANG_PROXY_SPOOL_DIR=/var/lib/tuchuang/nginx-spool

USER 101:101
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=4).status != 200)"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]


# The end-to-end suite, run inside the compose network: `docker compose --profile tests run --rm e2e`.
# The same image runs the fake FastDFS of the CI compose tier (.ci/compose/).
FROM app AS tests
USER root
# Chromium (and libatomic for Playwright's driver) for the web front's smoke test, iproute2 for the
# spool-forgery tests' second address
RUN apt-get update && apt-get install -y --no-install-recommends chromium iproute2 libatomic1 \
 && rm -rf /var/lib/apt/lists/*
COPY requirements/test.txt ./requirements/test.txt
RUN pip install -r requirements/test.txt
COPY tests ./tests
USER 101:101
HEALTHCHECK NONE
CMD ["python", "-m", "pytest", "-p", "no:cacheprovider", "tests/e2e"]
