#!/bin/sh
# Point-in-time recovery (README, "Point-in-time recovery"): prepare a data directory that,
# once PostgreSQL starts on it, replays the archived WAL up to TARGET and opens for writes.
#   restore-to.sh BASE WAL DATA TARGET
#   BASE    a base backup folder (base-backup.sh's ROOT/base/<stamp>), taken before TARGET
#   WAL     the archive folder archive-wal.sh writes (ROOT/wal)
#   DATA    the new data directory: absent or empty (stop the server; move the damaged one aside)
#   TARGET  a time, '2026-12-01 14:05:00+00' (recovery_target_time: every transaction committed
#           up to it is kept, none after), or lsn:0/3000060 (recovery_target_lsn)
# Then start PostgreSQL on DATA (as its usual user); it promotes itself at the target and
# starts a new timeline, archived beside the old one (WAL file names carry the timeline).
set -eu
base=$1 wal=$2 data=$3 target=$4
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
tar -xzf "$base/base.tar.gz" -C "$data"
[ -f "$base/pg_wal.tar.gz" ] && tar -xzf "$base/pg_wal.tar.gz" -C "$data/pg_wal"
cat >> "$data/postgresql.auto.conf" <<CONF
# restore-to.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)
restore_command = 'cp "$wal/%f" "%p"'
$goal
recovery_target_action = 'promote'
CONF
touch "$data/recovery.signal"
echo "ready: start PostgreSQL on $data; it recovers to $target and promotes"
