#!/bin/sh
# Runs once, when the primary's data directory is created (docker-entrypoint-initdb.d):
# the replicas may stream its WAL with the application's credentials, from the compose
# network only.
set -eu
echo "host replication ${POSTGRES_USER} samenet scram-sha-256" >> "$PGDATA/pg_hba.conf"
