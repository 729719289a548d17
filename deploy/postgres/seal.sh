#!/bin/sh
# The backup passphrase's encryption for the point-in-time recovery files (README,
# "Point-in-time recovery"): base backups and archived WAL segments are stored sealed, as the
# .fcbackup archives are. gpg --symmetric (AES-256; its MDC check refuses a damaged or altered
# file), from Debian's gnupg, which the postgres images already carry.
#   seal.sh encrypt < PLAIN > SEALED
#   seal.sh decrypt < SEALED > PLAIN        (non-zero exit: wrong passphrase or damaged input;
#                                            the output is then not to be used)
#   seal.sh fetch WAL NAME PATH             restore_command: WAL/NAME.gpg decrypted to PATH
#                                           (a plain WAL/NAME from before sealing is copied)
# The passphrase: the first line of the file FIELDCRM_BACKUP_PASSPHRASE_FILE names, else
# FIELDCRM_BACKUP_PASSPHRASE. It reaches gpg on a file descriptor, never on a command line
# (any user of the machine can read those in ps).
set -eu
mode=$1
if [ "$mode" = fetch ]; then
  wal=$2 name=$3 path=$4
  if [ -f "$wal/$name.gpg" ]; then
    "$0" decrypt <"$wal/$name.gpg" >"$path"
  else
    cp "$wal/$name" "$path"  # absent: non-zero, which PostgreSQL reads as "no such file"
  fi
  exit
fi
case $mode in
  encrypt) op="--symmetric --cipher-algo AES256 --compress-algo none" ;;
  decrypt) op="--decrypt" ;;
  *) echo "usage: seal.sh encrypt|decrypt|fetch" >&2; exit 64 ;;
esac
# A keyring folder of its own (gpg wants one), removed on the way out.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
gpg_() {
  # $op is a list of options: split on purpose.
  # shellcheck disable=SC2086
  GNUPGHOME=$home gpg --batch --quiet --pinentry-mode loopback --no-symkey-cache \
    --no-autostart --passphrase-fd 3 --status-fd 4 $op 4>"$home/status" 2>"$home/err"
}
# No agent either (--no-autostart: the passphrase comes on fd 3, there is nothing to cache; an
# agent would outlive this script). gpg then complains about the agent on stderr and, when
# encrypting, exits 2 though it sealed everything: success is read from its status lines
# (END_ENCRYPTION; a decryption must also end with GOODMDC, the integrity check) and from a
# stderr holding nothing but that complaint.
status=0
if [ -n "${FIELDCRM_BACKUP_PASSPHRASE_FILE:-}" ]; then
  gpg_ 3<"$FIELDCRM_BACKUP_PASSPHRASE_FILE" || status=$?
elif [ -n "${FIELDCRM_BACKUP_PASSPHRASE:-}" ]; then
  gpg_ 3<<PASS || status=$?
$FIELDCRM_BACKUP_PASSPHRASE
PASS
else
  echo "seal.sh: set FIELDCRM_BACKUP_PASSPHRASE_FILE or FIELDCRM_BACKUP_PASSPHRASE" >&2
  exit 2
fi
if grep -v -e 'no gpg-agent running' -e 'problem with the agent' "$home/err" >&2; then
  exit 1  # any other message is an error
fi
case $mode in
  encrypt) grep -q '^\[GNUPG:\] END_ENCRYPTION' "$home/status" || exit 1 ;;
  decrypt) [ "$status" = 0 ] && grep -q '^\[GNUPG:\] GOODMDC' "$home/status" || exit 1 ;;
esac
