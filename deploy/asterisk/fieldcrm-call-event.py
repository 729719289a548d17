#!/usr/bin/env python3
"""Post one call event to FieldCRM, signed: the script Asterisk's dialplan runs (System() or
an AGI), and the tests' local PBX. Python's standard library only.

    fieldcrm-call-event.py --url https://crm.example/api/v1/integrations/1/calls \
        --secret-file /etc/asterisk/fieldcrm.secret --event ringing --call-id 1733050000.42 \
        --caller +358401234567 --callee 200 [--direction in] [--extension 201] \
        [--duration 80] [--recording-url https://pbx.example/rec/1733050000.42.wav]

The event id is ``<call id>-<event>``: Asterisk running the same hook twice posts the same
event, which FieldCRM answers the same and does not apply twice. Exit status 0 on a 2xx.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--secret-file")
    secret.add_argument("--secret")
    parser.add_argument("--event", required=True, choices=("ringing", "answered", "ended"))
    parser.add_argument("--call-id", required=True)
    parser.add_argument("--caller", required=True)
    parser.add_argument("--callee", required=True)
    parser.add_argument("--direction", default="in", choices=("in", "out"))
    parser.add_argument("--extension", default="")
    parser.add_argument("--duration", type=int)
    parser.add_argument("--recording-url", default="")
    args = parser.parse_args()
    key = args.secret if args.secret else Path(args.secret_file).read_text().strip()
    now = dt.datetime.now(dt.UTC)
    event = {
        "event_id": f"{args.call_id}-{args.event}", "event": args.event,
        "call_id": args.call_id, "direction": args.direction, "caller": args.caller,
        "callee": args.callee, "occurred_at": now.isoformat(), "extension": args.extension,
    }  # fmt: skip
    if args.event == "ended":
        event["ended_at"] = now.isoformat()
        if args.duration is not None:
            event["duration_s"] = args.duration
        if args.recording_url:
            event["recording_url"] = args.recording_url
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    signature = (
        "v1=" + hmac.new(key.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    request = urllib.request.Request(args.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "FieldCRM-Timestamp": stamp,
        "FieldCRM-Signature": signature,
    })  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            print(answer.read().decode())
            return 0
    except urllib.error.HTTPError as exc:
        print(exc.code, exc.read().decode(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
