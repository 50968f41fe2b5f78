#!/bin/sh
# The official image's first-start contract, on MariaDB: create the database and the user with
# MYSQL_PASSWORD once, while the server listens on no network; later starts only run the server.
set -eu
case "${1:-}" in -*) set -- mysqld "$@" ;; esac
[ "${1:-}" = mysqld ] || exec "$@"
shift
if [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
  mariadbd --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 60); do
    mariadb --socket=/run/mysqld/init.sock -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 1
  done
  root_password=$(head -c 18 /dev/urandom | base64)
  mariadb --socket=/run/mysqld/init.sock <<SQL
CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;
CREATE USER '${MYSQL_USER}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%';
ALTER USER 'root'@'localhost' IDENTIFIED BY '${root_password}';
SQL
  kill "$pid"
  wait "$pid" || true
fi
exec mariadbd --user=mysql --bind-address=0.0.0.0 --socket=/run/mysqld/mysqld.sock "$@"
