#!/bin/sh
# Like the real image's start script: `tracker` or `storage`, TRACKER_SERVER, GROUP_NAME and PORT
# from the environment, the daemon started in the background and this shell left as PID 1 (which
# ignores SIGTERM unless an init runs in front of it). The fake tracker names the storage by
# STORAGE_SERVER (group STORAGE_GROUP) and MORE_GROUPS (group2=host:port,…): the real one learns
# them when the storages register.
cd /opt/tuchuang
if [ "${1:-tracker}" = storage ]; then
  python -m tests.fakes.fastdfs_server storage --port "${PORT:-23000}" --store /var/fdfs --group "${GROUP_NAME:-group1}" &
else
  python -m tests.fakes.fastdfs_server tracker --port "${PORT:-22122}" --storage "${STORAGE_SERVER:-storage:23000}" \
    --group "${STORAGE_GROUP:-group1}" --more-groups "${MORE_GROUPS:-}" &
fi
wait
