#!/bin/sh
# PostgreSQL's archive_command for point-in-time recovery (README, "Point-in-time recovery"):
#   archive_command = '/usr/local/bin/fieldcrm-archive-wal %p %f /var/backups/fieldcrm/wal'
# Seals one finished WAL segment (or history/backup file) with the backup passphrase (seal.sh:
# FIELDCRM_BACKUP_PASSPHRASE_FILE or FIELDCRM_BACKUP_PASSPHRASE in the server's environment)
# into the archive folder as NAME.gpg: a segment holds every row it changed, so it is kept as
# the base backups and the .fcbackup archives are. The file is written under a temporary name
# and renamed, so a crash never leaves a half file with the real name; an existing file is
# never overwritten (PostgreSQL may ask twice for the same segment after a crash: same content
# succeeds, different content fails loudly, and PostgreSQL keeps the segment and retries). A
# non-zero exit makes PostgreSQL keep the segment and try again.
set -eu
path=$1 name=$2 dir=$3
here=$(dirname "$0")
if [ -x "$here/seal.sh" ]; then seal="$here/seal.sh"; else seal=fieldcrm-seal; fi
mkdir -p "$dir"
if [ -f "$dir/$name.gpg" ]; then
  # Sealing is salted (each seal of the same bytes differs): compare the plain contents.
  "$seal" decrypt <"$dir/$name.gpg" | cmp -s - "$path" && exit 0
  echo "fieldcrm-archive-wal: $dir/$name.gpg exists with other content" >&2
  exit 1
fi
"$seal" encrypt <"$path" >"$dir/.$name.partial"
sync "$dir/.$name.partial" 2>/dev/null || sync
mv "$dir/.$name.partial" "$dir/$name.gpg"
