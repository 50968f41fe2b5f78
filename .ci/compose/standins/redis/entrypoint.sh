#!/bin/sh
# The official image builds Redis with protected mode off, so other containers may connect.
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  exec redis-server --protected-mode no "$@"
fi
exec "$@"
