#!/bin/sh
# A hot standby of the `postgis` service: on first start, copy the primary with
# pg_basebackup -R (it writes standby.signal and primary_conninfo), then run as a read-only
# replica streaming the primary's WAL. Later starts resume streaming from where they were.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -d "$POSTGRES_DB"; do sleep 1; done
  PGPASSWORD="$POSTGRES_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U "$POSTGRES_USER" \
    -D "$PGDATA" -R -X stream -c fast
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c max_standby_streaming_delay=30s \
  -c hot_standby_feedback=on
