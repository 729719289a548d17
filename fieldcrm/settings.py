"""FieldCRM settings: one module, every knob from the environment (healthchecks style).

Our own keys are prefixed ``FIELDCRM_``. The embedded default is SpatiaLite in ``var/``;
production sets ``DATABASE_URL=postgis://...`` (see docker-compose.yml).
"""

from __future__ import annotations

import datetime as dt
import secrets
from email.utils import parseaddr
from pathlib import Path

import environ
import pycountry
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("FIELDCRM_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()


def _secret_key() -> str:
    """Use the configured key, else one generated once and kept in var/ (dev only)."""
    configured = env.str("FIELDCRM_SECRET_KEY", default="")
    if configured:
        return configured
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret-key.txt"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("FIELDCRM_DEBUG", default=False)
# Production refuses demo data and requires explicit hosts (see docker-compose.yml).
PRODUCTION = env.bool("FIELDCRM_PRODUCTION", default=False)
ALLOWED_HOSTS = env.list("FIELDCRM_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("FIELDCRM_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "ninja",
    "pwa",
    "fieldcrm.core",
    "fieldcrm.users",
    "fieldcrm.audit",
    "fieldcrm.territories",
    "fieldcrm.accounts",
    "fieldcrm.deals",
    "fieldcrm.orders",
    "fieldcrm.documents",
    "fieldcrm.attachments",
    "fieldcrm.tasks",
    "fieldcrm.visits",
    "fieldcrm.plans",
    "fieldcrm.reports",
    "fieldcrm.leads",
    "fieldcrm.notifications",
    "fieldcrm.automation",
    "fieldcrm.emails",
    "fieldcrm.integrations",
    "fieldcrm.sync",
    "fieldcrm.bulk",
    "fieldcrm.backups",
    "fieldcrm.phone",
    "fieldcrm.tiles",
    "fieldcrm.geocoding",
    "fieldcrm.manager",
    "fieldcrm.crm",
    "fieldcrm.search",
    "fieldcrm.demo",
]

MIDDLEWARE = [
    "fieldcrm.core.server_timing.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fieldcrm.core.csp.PolicyMiddleware",
    # Phones on slow links: a first sync's JSON shrinks ~9x. Django pads compressed bodies
    # against BREACH-style length attacks.
    "django.middleware.gzip.GZipMiddleware",
    "fieldcrm.core.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fieldcrm.users.middleware.RevokedSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A request that lost to another writer (a deadlock broken): 409, try again (not a 500).
    "fieldcrm.core.contention.ContentionMiddleware",
]

ROOT_URLCONF = "fieldcrm.urls"
WSGI_APPLICATION = "fieldcrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fieldcrm" / "templates", BASE_DIR / "pwa" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "fieldcrm.navigation.navigation",  # `nav`: the header of every server page
            ],
        },
    },
]

# spatialite:// and postgis:// are both understood by django-environ.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"spatialite:///{VAR_DIR / 'fieldcrm.db'}"),
}
# Keep connections between requests: opening one costs 5-15 ms (a PostgreSQL backend, or
# loading SpatiaLite), more than a whole sync pull. Checked before reuse.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("FIELDCRM_CONN_MAX_AGE", default=300))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        # Writers wait for the lock instead of failing at once: phones push concurrently.
        timeout=60,
        # Take the write lock when a transaction begins: a read-then-write transaction that
        # upgrades later can deadlock with another writer and fail at once ("database is
        # locked"), whatever the timeout.
        transaction_mode="IMMEDIATE",
        # Readers never wait for a writer.
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
# A PostgreSQL streaming replica for the sync's read-only calls (pulls, the head start),
# read in one REPEATABLE READ snapshot; everything else, writes included, uses the primary
# (fieldcrm/core/replica.py; README, "Read replica").
if env.str("FIELDCRM_DATABASE_REPLICA_URL", default=""):
    replica = env.db_url("FIELDCRM_DATABASE_REPLICA_URL")
    if not replica["ENGINE"].endswith("postgis"):
        raise ImproperlyConfigured(
            "FIELDCRM_DATABASE_REPLICA_URL must be a postgis:// URL (a streaming replica)."
        )
    if not DATABASES["default"]["ENGINE"].endswith("postgis"):
        raise ImproperlyConfigured("FIELDCRM_DATABASE_REPLICA_URL needs a postgis:// DATABASE_URL.")
    replica.setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    replica.setdefault("CONN_HEALTH_CHECKS", True)
    # Tests: the same database as default (a standby is started by tests/harness only).
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = replica
DATABASE_ROUTERS = ["fieldcrm.core.replica.ReplicaRouter"]
SPATIALITE_LIBRARY_PATH = env.str("FIELDCRM_SPATIALITE_LIBRARY", default="mod_spatialite")

# GDAL 3.9+ is not in Debian 12; we never open untrusted spatial-reference files.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "/login/"
LOGOUT_REDIRECT_URL = "/"
# A stale CSRF token answers the site's styled 403 (JSON under /api/), not Django's page.
CSRF_FAILURE_VIEW = "fieldcrm.core.views.csrf_failure"

# Every path that sets a password applies these: the API (users.services.password_check),
# the admin's forms, changepassword, Django's password reset.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# One login throttle for the API, /login/ and /admin/login/ (users/throttle.py).
AUTHENTICATION_BACKENDS = ["fieldcrm.users.backends.ThrottledModelBackend"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt"), ("fa", "فارسی")]
LOCALE_PATHS = [BASE_DIR / "fieldcrm" / "locale"]
TIME_ZONE = env.str("FIELDCRM_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# pwa/static holds the phone app and the npm-installed vendor files (`make assets`).
STATICFILES_DIRS = [BASE_DIR / "pwa" / "static"]
WHITENOISE_USE_FINDERS = True

# Redis, where a deployment has it, backs the cache and Celery; otherwise all is in-process.
REDIS_URL = env.str("FIELDCRM_REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# With a shared cache (Redis), sessions are read through it: one query less per API call.
# A per-process cache would let a logged-out session live on in the other workers.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CELERY_BROKER_URL = env.str("FIELDCRM_CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Celery beat (docker-compose's `beat` service): reminders every minute, deliveries between.
# Any number of workers may run them at once (unique reminder keys, claimed deliveries).
# How often beat asks for reminders and for deliveries (the fault test and bench/reminders.py
# shorten both; the jobs are cheap when nothing is due).
FIELDCRM_REMIND_EVERY_S = env.float("FIELDCRM_REMIND_EVERY_S", default=60.0)
FIELDCRM_DELIVER_EVERY_S = env.float("FIELDCRM_DELIVER_EVERY_S", default=20.0)
CELERY_BEAT_SCHEDULE = {
    "notifications-remind": {
        "task": "fieldcrm.notifications.remind",
        "schedule": FIELDCRM_REMIND_EVERY_S,
    },
    "notifications-deliver": {
        "task": "fieldcrm.notifications.deliver",
        "schedule": FIELDCRM_DELIVER_EVERY_S,
    },
    # Due only once a day (FIELDCRM_BACKUP_AT); asking every 5 minutes catches a missed tick.
    "backups-scheduled": {"task": "fieldcrm.backups.scheduled", "schedule": 300.0},
    # The outbox of domain events: rules and webhooks run soon after the change.
    "automation-events": {"task": "fieldcrm.automation.events", "schedule": 15.0},
}

# E-mail (notifications, reminders) through Django's mail framework: a real SMTP server when
# FIELDCRM_EMAIL_HOST is set, else printed to the console (the embedded default, a demo).
EMAIL_HOST = env.str("FIELDCRM_EMAIL_HOST", default="")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env.int("FIELDCRM_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("FIELDCRM_EMAIL_USER", default="")
EMAIL_HOST_PASSWORD = env.str("FIELDCRM_EMAIL_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("FIELDCRM_EMAIL_STARTTLS", default=False)
EMAIL_USE_SSL = env.bool("FIELDCRM_EMAIL_SSL", default=False)
EMAIL_TIMEOUT = env.float("FIELDCRM_EMAIL_TIMEOUT_S", default=10.0)
DEFAULT_FROM_EMAIL = env.str("FIELDCRM_EMAIL_FROM", default="FieldCRM <fieldcrm@localhost>")
# How many e-mails one worker pass sends over one SMTP connection before it opens a new one
# (some servers cap the messages of one connection); 1 opens one per e-mail.
FIELDCRM_EMAIL_PER_CONNECTION = env.int("FIELDCRM_EMAIL_PER_CONNECTION", default=100)
if FIELDCRM_EMAIL_PER_CONNECTION < 1:
    raise ImproperlyConfigured("FIELDCRM_EMAIL_PER_CONNECTION must be at least 1.")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set FIELDCRM_EMAIL_STARTTLS or FIELDCRM_EMAIL_SSL, not both.")
# Links in e-mails (the record, unsubscribe) need the site's address as users reach it.
FIELDCRM_PUBLIC_URL = env.str("FIELDCRM_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# E-mail to contacts (fieldcrm/emails): the dropbox address replies come back to and people
# BCC to log a mail, and where `manage.py receive_mail` (an SMTP/LMTP receiver) listens.
FIELDCRM_INBOUND_ADDRESS = env.str("FIELDCRM_INBOUND_ADDRESS", default="crm@localhost")
FIELDCRM_INBOUND_HOST = env.str("FIELDCRM_INBOUND_HOST", default="127.0.0.1")
FIELDCRM_INBOUND_PORT = env.int("FIELDCRM_INBOUND_PORT", default=2525)
# Reminders: a rep's task this many days overdue is told to their manager too.
FIELDCRM_OVERDUE_MANAGER_DAYS = env.int("FIELDCRM_OVERDUE_MANAGER_DAYS", default=2)
# Outbound webhooks: how long to wait for an answer, and after how many failures in a row a
# webhook is disabled (its admins are told).
FIELDCRM_WEBHOOK_TIMEOUT_S = env.float("FIELDCRM_WEBHOOK_TIMEOUT_S", default=10.0)
FIELDCRM_WEBHOOK_DISABLE_AFTER = env.int("FIELDCRM_WEBHOOK_DISABLE_AFTER", default=10)
# A worker's claim on a delivery: after it, the row is taken for abandoned (the worker died)
# and sent again. Longer than any transport's timeout, or a slow send is sent twice.
FIELDCRM_DELIVERY_LEASE_S = env.int("FIELDCRM_DELIVERY_LEASE_S", default=300)
# Web Push (notifications/push.py; the VAPID key is made once in var/keys/). The contact is
# the VAPID "sub" claim: push services write to it when this server misbehaves.
_SENDER = parseaddr(DEFAULT_FROM_EMAIL)[1] or "root@localhost"
FIELDCRM_PUSH_CONTACT = env.str("FIELDCRM_PUSH_CONTACT", default=f"mailto:{_SENDER}")
# How long a push service keeps a message for a phone that is offline.
FIELDCRM_PUSH_TTL_S = env.int("FIELDCRM_PUSH_TTL_S", default=24 * 3600)
FIELDCRM_PUSH_TIMEOUT_S = env.float("FIELDCRM_PUSH_TIMEOUT_S", default=10.0)
# Accept http:// push endpoints (a push service on the local network, the tests); browsers'
# own push services are all https.
FIELDCRM_PUSH_INSECURE_ENDPOINTS = env.bool("FIELDCRM_PUSH_INSECURE_ENDPOINTS", default=False)

# Map tiles: by default our own vector tiles (fieldcrm/core/tiles.py), built by `make setup`
# from the committed OSM extracts, or by `manage.py build_tiles` for your regions; a tile
# server's URL instead (raster, or vector when it ends in .mvt/.pbf).
FIELDCRM_TILE_URL = env.str("FIELDCRM_TILE_URL", default="")
FIELDCRM_TILES_FILE = Path(
    env.str("FIELDCRM_TILES_FILE", default=str(BASE_DIR / "var" / "tiles.mbtiles"))
)
FIELDCRM_TILE_ATTRIBUTION = env.str(
    "FIELDCRM_TILE_ATTRIBUTION", default="&copy; OpenStreetMap contributors"
)
# Geocoding (web leads, imports): ``embedded`` (default) looks addresses up in the app's own
# index (fieldcrm/geocoding), built by `make setup` from the committed OSM extracts or by
# `manage.py build_geocoder`; ``nominatim`` asks a Nominatim-compatible search endpoint at
# FIELDCRM_GEOCODER_URL (e.g. https://nominatim.openstreetmap.org/search: mind its usage
# policy); ``off`` locates nothing. A URL alone (as before there was an index) means nominatim.
GEOCODERS = ("embedded", "nominatim", "off")
FIELDCRM_GEOCODER_URL = env.str("FIELDCRM_GEOCODER_URL", default="")
FIELDCRM_GEOCODER = env.str(
    "FIELDCRM_GEOCODER", default="nominatim" if FIELDCRM_GEOCODER_URL else "embedded"
)
FIELDCRM_GEOCODER_TIMEOUT_S = env.float("FIELDCRM_GEOCODER_TIMEOUT_S", default=3.0)
FIELDCRM_GEOCODER_FILE = Path(
    env.str("FIELDCRM_GEOCODER_FILE", default=str(BASE_DIR / "var" / "geocoder.sqlite"))
)
if FIELDCRM_GEOCODER not in GEOCODERS:
    raise ImproperlyConfigured(
        f"FIELDCRM_GEOCODER must be one of {', '.join(GEOCODERS)}, not {FIELDCRM_GEOCODER!r}."
    )
if FIELDCRM_GEOCODER == "nominatim" and not FIELDCRM_GEOCODER_URL:
    raise ImproperlyConfigured("FIELDCRM_GEOCODER=nominatim needs FIELDCRM_GEOCODER_URL.")
FIELDCRM_DEMO_PASSWORD = env.str("FIELDCRM_DEMO_PASSWORD", default="")
# New deals' currency (ISO 4217). Amounts are never added across currencies (core/money.py).
FIELDCRM_CURRENCY = env.str("FIELDCRM_CURRENCY", default="EUR")
# The seller named on quotes, order confirmations and visit reports (documents/).
FIELDCRM_COMPANY_NAME = env.str("FIELDCRM_COMPANY_NAME", default="FieldCRM")
# Attachments (attachments/): stored through Django's default storage, the filesystem under
# FIELDCRM_MEDIA_DIR unless STORAGES is changed for production; never served as static files
# (each download goes through the access rule of its record).
MEDIA_ROOT = Path(env.str("FIELDCRM_MEDIA_DIR", default=str(VAR_DIR / "media")))
FIELDCRM_ATTACHMENT_MAX_MB = env.float("FIELDCRM_ATTACHMENT_MAX_MB", default=10.0)
# What one e-mail to a contact may carry in files (most mail servers refuse above 25 MB, and
# base64 makes a file a third larger on the wire).
FIELDCRM_EMAIL_ATTACHMENTS_MAX_MB = env.float("FIELDCRM_EMAIL_ATTACHMENTS_MAX_MB", default=15.0)
# File name extensions accepted; each one's content is checked too (attachments/types.py).
FIELDCRM_ATTACHMENT_TYPES = env.list(
    "FIELDCRM_ATTACHMENT_TYPES", default=["pdf", "png", "jpg", "jpeg", "webp", "txt", "csv",
                                          "xlsx", "docx"]
)  # fmt: skip

# Route planning: each job's solver budget, and how travel is measured. ``great_circle``
# (default: straight lines at a city speed), ``road`` (the road graphs committed under
# fieldcrm/data/roads, per region) or ``osrm`` (an OSRM server at FIELDCRM_OSRM_URL, e.g.
# `docker compose --profile osrm`). A planner may pick another one per job.
FIELDCRM_PLAN_TIME_LIMIT_S = env.float("FIELDCRM_PLAN_TIME_LIMIT_S", default=10.0)
ROUTING_PROVIDERS = ("great_circle", "road", "osrm")
FIELDCRM_ROUTING_PROVIDER = env.str("FIELDCRM_ROUTING_PROVIDER", default="great_circle")
FIELDCRM_OSRM_URL = env.str("FIELDCRM_OSRM_URL", default="")
if not pycountry.currencies.get(alpha_3=FIELDCRM_CURRENCY):
    raise ImproperlyConfigured(
        f"FIELDCRM_CURRENCY must be an ISO 4217 code, not {FIELDCRM_CURRENCY!r}."
    )
if FIELDCRM_ROUTING_PROVIDER not in ROUTING_PROVIDERS:
    raise ImproperlyConfigured(
        f"FIELDCRM_ROUTING_PROVIDER must be one of {', '.join(ROUTING_PROVIDERS)}, "
        f"not {FIELDCRM_ROUTING_PROVIDER!r}."
    )
if FIELDCRM_ROUTING_PROVIDER == "osrm" and not FIELDCRM_OSRM_URL:
    raise ImproperlyConfigured("FIELDCRM_ROUTING_PROVIDER=osrm needs FIELDCRM_OSRM_URL.")

# Content-Security-Policy on every response, /admin/ and /api/docs included (README,
# "Security"): scripts from our origin, or inline with the request's nonce (folium's map code);
# never 'unsafe-inline' for scripts, so no injected <script> or on*= attribute runs. Styles may
# be inline: folium, Leaflet and the admin write style attributes, which no nonce can cover.
# The tile server's origin is added per response by fieldcrm.core.csp.PolicyMiddleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],  # the map pages answer 'self' (core.csp.framed_by_own_pages)
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

PWA_SERVICE_WORKER_PATH = BASE_DIR / "pwa" / "serviceworker.js"
PWA_APP_NAME = "FieldCRM"
PWA_APP_DESCRIPTION = "Field sales, offline first"
PWA_APP_THEME_COLOR = "#0b6e4f"
PWA_APP_BACKGROUND_COLOR = "#ffffff"
PWA_APP_DISPLAY = "standalone"
PWA_APP_START_URL = "/app/"
PWA_APP_SCOPE = "/"
PWA_APP_DEBUG_MODE = False
# Sizes browsers ask for (192 and 512), plus maskable versions for Android's adaptive icons.
PWA_APP_ICONS = [
    {"src": "/static/pwa/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
    {"src": "/static/pwa/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
    {"src": "/static/pwa/icons/maskable-192.png", "sizes": "192x192", "type": "image/png",
     "purpose": "maskable"},
    {"src": "/static/pwa/icons/maskable-512.png", "sizes": "512x512", "type": "image/png",
     "purpose": "maskable"},
]  # fmt: skip
PWA_APP_ICONS_APPLE = [{"src": "/static/pwa/icons/apple-touch-icon-180.png", "sizes": "180x180"}]
PWA_APP_SPLASH_SCREEN: list[dict[str, str]] = []

# Served over HTTPS (the default in production): redirect plain HTTP, send HSTS, keep cookies
# to HTTPS. Behind a proxy that terminates TLS, FIELDCRM_TLS_PROXY=1 trusts its
# X-Forwarded-Proto header (set it only when the proxy overwrites that header).
TLS = env.bool("FIELDCRM_TLS", default=PRODUCTION)
if env.bool("FIELDCRM_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("FIELDCRM_SECURE_COOKIES", default=TLS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if TLS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes inside the deployment speak plain HTTP
    SECURE_HSTS_SECONDS = env.int("FIELDCRM_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("FIELDCRM_HSTS_SUBDOMAINS", default=True)
    # Preloading is a commitment to the browsers' lists that is hard to undo: opt in.
    SECURE_HSTS_PRELOAD = env.bool("FIELDCRM_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("FIELDCRM_LOG_LEVEL", default="WARNING")},
}

# Backups (manage.py backup / restore): where archives go, and the passphrase when no terminal
# or file gives one (scheduled backups).
FIELDCRM_BACKUP_DIR = Path(env.str("FIELDCRM_BACKUP_DIR", default=str(VAR_DIR / "backups")))
FIELDCRM_BACKUP_PASSPHRASE = env.str("FIELDCRM_BACKUP_PASSPHRASE", default="")


# Scheduled backups (run_worker; Celery beat in production): daily at this local time, "off"
# to stop them; verified, then only the newest FIELDCRM_BACKUP_KEEP archives are kept.
def _time_of_day_or_off(name: str, default: str) -> dt.time | None:
    value = env.str(name, default=default).strip().lower()
    try:
        return None if value in ("", "off") else dt.time.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} is a time of day (HH:MM) or off.") from None


FIELDCRM_BACKUP_AT = _time_of_day_or_off("FIELDCRM_BACKUP_AT", "02:30")
FIELDCRM_BACKUP_KEEP = env.int("FIELDCRM_BACKUP_KEEP", default=14)
if FIELDCRM_BACKUP_KEEP < 1:
    raise ImproperlyConfigured("FIELDCRM_BACKUP_KEEP must be at least 1.")
