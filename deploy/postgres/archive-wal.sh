#!/bin/sh
# PostgreSQL's archive_command for point-in-time recovery (README, "Point-in-time recovery"):
#   archive_command = '/usr/local/bin/fieldcrm-archive-wal %p %f /var/backups/fieldcrm/wal'
# Copies one finished WAL segment (or history/backup file) into the archive folder. The copy
# is written under a temporary name and renamed, so a crash never leaves a half file with the
# real name; an existing file is never overwritten (PostgreSQL may ask twice for the same
# segment after a crash: same bytes succeed, different bytes fail loudly, and PostgreSQL keeps
# the segment and retries). A non-zero exit makes PostgreSQL keep the segment and try again.
set -eu
path=$1 name=$2 dir=$3
mkdir -p "$dir"
if [ -f "$dir/$name" ]; then
  cmp -s "$path" "$dir/$name" && exit 0
  echo "fieldcrm-archive-wal: $dir/$name exists with other content" >&2
  exit 1
fi
cp "$path" "$dir/.$name.partial"
sync "$dir/.$name.partial" 2>/dev/null || sync
mv "$dir/.$name.partial" "$dir/$name"
