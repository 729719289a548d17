#!/bin/sh
# A base backup for point-in-time recovery (README, "Point-in-time recovery"), with retention:
#   base-backup.sh ROOT [KEEP]      e.g. base-backup.sh /var/backups/fieldcrm 7
# Writes ROOT/base/<UTC stamp>/ (base.tar.gz, pg_wal.tar.gz: pg_basebackup -Ft -z -X stream,
# so each base backup restores on its own, even without the archive), keeps the newest KEEP
# (7) and removes from ROOT/wal the WAL older than the oldest kept one (pg_archivecleanup):
# no kept base backup can use it. Connects as libpq's PG* environment says (a role with
# REPLICATION). PG_BIN: where the PostgreSQL programs are, if not on PATH.
set -eu
root=$1 keep=${2:-7}
bin=${PG_BIN:+$PG_BIN/}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$root/base" "$root/wal"
work="$root/base/.$stamp.partial"
rm -rf "$work"
"${bin}pg_basebackup" -D "$work" -Ft -z -X stream -c fast --label "fieldcrm $stamp"
mv "$work" "$root/base/$stamp"
echo "$root/base/$stamp"
# Retention: stamps sort by time.
ls -1 "$root/base" | grep -v '^\.' | sort | head -n "-$keep" | while read -r old; do
  rm -rf "${root:?}/base/$old"
done
oldest=$(ls -1 "$root/base" | grep -v '^\.' | sort | head -n 1)
# The first WAL file the oldest kept base backup needs, from its backup_label.
first=$(tar -xzOf "$root/base/$oldest/base.tar.gz" backup_label \
  | sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]*\))$/\1/p')
[ -n "$first" ] && "${bin}pg_archivecleanup" "$root/wal" "$first"
