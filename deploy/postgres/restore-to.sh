#!/bin/sh
# Point-in-time recovery (README, "Point-in-time recovery"): prepare a data directory that,
# once PostgreSQL starts on it, replays the archived WAL up to TARGET and opens for writes.
#   restore-to.sh BASE WAL DATA TARGET
#   BASE    a base backup folder (base-backup.sh's ROOT/base/<stamp>), taken before TARGET
#   WAL     the archive folder archive-wal.sh writes (ROOT/wal)
#   DATA    the new data directory: absent or empty (stop the server; move the damaged one aside)
#   TARGET  a time, '2026-12-01 14:05:00+00' (recovery_target_time: every transaction committed
#           up to it is kept, none after), or lsn:0/3000060 (recovery_target_lsn)
# The base backup and the segments are sealed (seal.sh): the backup passphrase is needed here
# (FIELDCRM_BACKUP_PASSPHRASE_FILE or FIELDCRM_BACKUP_PASSPHRASE) and in the environment of
# the PostgreSQL that recovers (its restore_command decrypts each segment; with
# FIELDCRM_BACKUP_PASSPHRASE_FILE set here, restore_command names that file itself).
# Then start PostgreSQL on DATA (as its usual user); it promotes itself at the target and
# starts a new timeline, archived beside the old one (WAL file names carry the timeline).
set -eu
base=$1 wal=$2 data=$3 target=$4
here=$(cd "$(dirname "$0")" && pwd)
if [ -x "$here/seal.sh" ]; then seal="$here/seal.sh"; else seal=$(command -v fieldcrm-seal); fi
if [ -d "$data" ] && [ -n "$(ls -A "$data")" ]; then
  echo "restore-to: $data is not empty; move it aside first" >&2
  exit 2
fi
case "$target" in
  lsn:*) goal="recovery_target_lsn = '${target#lsn:}'" ;;
  *) goal="recovery_target_time = '$target'" ;;
esac
mkdir -p "$data"
chmod 0700 "$data"
# One tar into one folder; a sealed one is decrypted on the way (sh has no pipefail: a failed
# decryption is noted in a file and fails the restore, whatever tar made of its output).
unpack() {
  if [ -f "$1.gpg" ]; then
    failed="$data/.restore-to-failed"
    untar=0
    { "$seal" decrypt <"$1.gpg" || echo "$1.gpg" >"$failed"; } | tar -xz -C "$2" || untar=$?
    if [ -f "$failed" ]; then
      echo "restore-to: cannot decrypt $(cat "$failed") (wrong passphrase, or damaged)" >&2
      exit 3
    fi
    [ "$untar" = 0 ] || exit "$untar"
  elif [ -f "$1" ]; then
    tar -xzf "$1" -C "$2"  # a base backup from before they were sealed
  fi
}
unpack "$base/base.tar.gz" "$data"
unpack "$base/pg_wal.tar.gz" "$data/pg_wal"
passfile=
if [ -n "${FIELDCRM_BACKUP_PASSPHRASE_FILE:-}" ]; then
  passfile="FIELDCRM_BACKUP_PASSPHRASE_FILE=\"$FIELDCRM_BACKUP_PASSPHRASE_FILE\" "
fi
cat >> "$data/postgresql.auto.conf" <<CONF
# restore-to.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)
restore_command = '$passfile"$seal" fetch "$wal" "%f" "%p"'
$goal
recovery_target_action = 'promote'
CONF
touch "$data/recovery.signal"
echo "ready: start PostgreSQL on $data; it recovers to $target and promotes"
