#!/bin/sh
# A base backup for point-in-time recovery (README, "Point-in-time recovery"), with retention:
#   base-backup.sh ROOT [KEEP]      e.g. base-backup.sh /var/backups/fieldcrm 7
# Writes ROOT/base/<UTC stamp>/: base.tar.gz.gpg and pg_wal.tar.gz.gpg (pg_basebackup -Ft -z
# -X stream, so each base backup restores on its own, even without the archive), sealed with
# the backup passphrase (seal.sh: FIELDCRM_BACKUP_PASSPHRASE_FILE or FIELDCRM_BACKUP_PASSPHRASE),
# and START_WAL, the first WAL segment it needs (plain: a file name, nothing of the data).
# Keeps the newest KEEP (7) and removes from ROOT/wal the WAL older than the oldest kept one
# (pg_archivecleanup): no kept base backup can use it. Connects as libpq's PG* environment
# says (a role with REPLICATION). PG_BIN: where the PostgreSQL programs are, if not on PATH.
set -eu
root=$1 keep=${2:-7}
bin=${PG_BIN:+$PG_BIN/}
here=$(dirname "$0")
if [ -x "$here/seal.sh" ]; then seal="$here/seal.sh"; else seal=fieldcrm-seal; fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$root/base" "$root/wal"
# A half-made backup (this run's, or one a crash left) holds plain files: never keep one.
rm -rf "$root/base"/.*.partial
work="$root/base/.$stamp.partial"
mkdir -m 0700 "$work"
"${bin}pg_basebackup" -D "$work" -Ft -z -X stream -c fast --label "fieldcrm $stamp"
# The first WAL file this backup needs, from its backup_label, for the retention below.
tar -xzOf "$work/base.tar.gz" backup_label \
  | sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]*\))$/\1/p' >"$work/START_WAL"
[ -s "$work/START_WAL" ] || { echo "base-backup: no START WAL LOCATION in backup_label" >&2; exit 1; }
# Seal every file pg_basebackup wrote (the tars, its backup_manifest), then drop the plain ones.
for plain in "$work"/*; do
  case $plain in */START_WAL) continue ;; esac
  "$seal" encrypt <"$plain" >"$plain.gpg.partial"
  mv "$plain.gpg.partial" "$plain.gpg"
  rm -f "$plain"
done
mv "$work" "$root/base/$stamp"
echo "$root/base/$stamp"
# Retention: stamps sort by time.
ls -1 "$root/base" | grep -v '^\.' | sort | head -n "-$keep" | while read -r old; do
  rm -rf "${root:?}/base/$old"
done
oldest=$(ls -1 "$root/base" | grep -v '^\.' | sort | head -n 1)
if [ -f "$root/base/$oldest/START_WAL" ]; then
  first=$(cat "$root/base/$oldest/START_WAL")
else  # a base backup from before they were sealed
  first=$(tar -xzOf "$root/base/$oldest/base.tar.gz" backup_label \
    | sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]*\))$/\1/p')
fi
# -x .gpg: archived segments are NAME.gpg (archive-wal.sh); plain ones from before go too.
[ -n "$first" ] && "${bin}pg_archivecleanup" -x .gpg "$root/wal" "$first"
