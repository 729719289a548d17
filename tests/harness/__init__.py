"""The test and bench harness: real processes, real databases, phones over HTTP.

- ``env``: the repo root, the Python, a child's environment (``base_env``), ``free_port``,
  running a child that answers JSON;
- ``database``: a throwaway PostGIS cluster; migrated (``migrated_database``) or seeded
  (``fresh_database``) copies of a template on SpatiaLite or PostGIS; ``Database`` for plain SQL;
- ``world``: the seeded world (regions, territories, reps with tokens, accounts);
- ``server``: gunicorn serving the app, killable whole (the only place gunicorn is started);
- ``phone``: a rep's client over HTTP with an outbox (``Phone``), ``http``, ``apply_pull``;
- ``ops``: the mutations a phone queues (visits, prospects, notes, edits);
- ``browser``: the phone app in chromium (``Phone``, a persistent ``Profile``, ``PHONE``);
- ``axe``: axe-core run in a Playwright page under its own policy (serious/critical violations);
- ``oracle``: what the server stored per client UUID (``check_oracle``, ``Tally``);
- ``scenarios``: the server-side fault scenarios at any size (tests and bench run them);
- ``clocks``, ``interleave``: scenarios 6 and 7, run in a child (``__main__``);
- ``restore``: phones through a backup and a restore (issue 23): ``JournalPhone`` (the app's
  epoch and journal over HTTP) and the ``backup`` / ``restore`` children.

Nothing here is collected by pytest; tests and benchmarks import it, never the other way.
"""
