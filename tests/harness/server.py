"""A real FieldCRM server: gunicorn serving ``fieldcrm.wsgi`` on a free port, in its own process.

The only place the tests and the benchmarks start gunicorn (tests/test_harness_rules.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

from tests.harness.env import PY, ROOT, Target, base_env, free_port


class Server:
    """gunicorn on 127.0.0.1 (2 sync workers unless told otherwise); a process group of its
    own, so ``kill()`` takes the master and every worker at once. ``env``: extra settings
    (e.g. ``FIELDCRM_REDIS_URL``). As a context manager: started, then stopped."""

    def __init__(self, db: Target, workers: int = 2, threads: int = 1, **env: str) -> None:
        self.db = db
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.env = base_env(db.url, db.workdir, **env)
        self.proc: subprocess.Popen | None = None
        self.log = db.workdir / f"gunicorn-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 180) -> None:
        # Generous: on a loaded machine (two suites side by side, or other jobs) a --preload
        # start can take a minute; the wait ends as soon as /healthz answers.
        cmd = [
            PY, "-m", "gunicorn", "fieldcrm.wsgi:application",
            "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
            "--timeout", "60", "--graceful-timeout", "2", "--preload",
        ]  # fmt: skip
        if self.threads > 1:
            cmd += ["-k", "gthread", "--threads", str(self.threads)]
        self.db.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        self._warm()
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("gunicorn did not answer in time")

    def _warm(self) -> None:
        """One request per worker, so the first timed request does not pay imports."""
        for _ in range(self.workers * 2):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.url}/healthz", timeout=5).read()

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (no graceful anything)."""
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, timeout=10)
            self.proc = None

    def errors_logged(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        bad = [
            line
            for line in text.splitlines()
            if "Traceback" in line or "database is locked" in line or "Error" in line
        ]
        return "\n".join(bad)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process started in a group of its own, and everything in that group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def stop_group(proc: subprocess.Popen, *, timeout: float) -> None:
    """SIGTERM the group; SIGKILL it if it has not gone after ``timeout`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
