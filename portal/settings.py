"""Settings for the seller portal, read from the environment (12-factor).

With nothing set it runs in development mode on SQLite with an embedded Celery broker (kombu's
filesystem transport) under ``var/``. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and
Redis; ``DJANGO_ENV=production`` turns on the production hardening and requires ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``DATABASE_URL``.
"""

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    for required in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
        if not os.environ.get(required):
            raise ImproperlyConfigured(f"{required} must be set when DJANGO_ENV=production")

DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)

if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")
if PRODUCTION and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must not be the development key when DJANGO_ENV=production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "import_export",
    "django_celery_beat",
    "axes",
    "post_office",  # before "portal": portal's ready() replaces post_office's send-after-commit handler
    "csp",
    "pgtrigger",  # database triggers that keep issued billing documents immutable (PostgreSQL)
    "sequences",  # gap-free invoice and credit-note numbers (django-sequences)
    "portal",
    "inventory",
    "tariffs",
    "billing",
    "portal.dashboard",  # the top layer: dashboard, demo data, load_demo
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        # Seconds a connection is kept for the next request or task (a worker's tasks reuse it).
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60" if PRODUCTION else "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker share the file: wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins are throttled per (username, IP) by django-axes.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login form field, though users log in by email
# Behind reverse proxies: how many trusted proxies append to X-Forwarded-For (0: the header is ignored and
# REMOTE_ADDR is the client). The header is the request.META name of the proxies' forwarded-for header.
AXES_IPWARE_PROXY_COUNT = int(env("AXES_IPWARE_PROXY_COUNT", "0") or 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (env("AXES_PROXY_HEADER", "HTTP_X_FORWARDED_FOR"), "REMOTE_ADDR")
AXES_CLIENT_IP_CALLABLE = "portal.client_ip.client_ip_address"

# Languages: the UI speaks the sellers' four languages.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("ja", "日本語"),
    ("vi", "Tiếng Việt"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

# Email (issue 10, finding 9): every message is a row of post_office's queue, written in the transaction of
# the change it reports; a Celery worker delivers it after commit through the real backend below, and beat
# retries what failed. Nothing is sent inside a request.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Seller Portal <no-reply@portal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# post_office's queue backend (storing messages verbatim): Django's own mail (password reset) is queued too.
EMAIL_BACKEND = "portal.emails.QueuedEmailBackend"
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "30"))  # a hung SMTP server fails the attempt, to be retried
# The backend the worker delivers through: SMTP in production or when EMAIL_HOST is set, else one .eml file
# per message under EMAIL_FILE_PATH (var/mail/), printed as a line in the worker's output.
EMAIL_DELIVERY_BACKEND = env(
    "EMAIL_DELIVERY_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION or "EMAIL_HOST" in os.environ
    else "portal.emails.MailboxBackend",
)
EMAIL_FILE_PATH = Path(env("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
# The portal's address as recipients reach it: emailed links (an invoice in the portal) start with it.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
POST_OFFICE = {
    "BACKENDS": {"default": EMAIL_DELIVERY_BACKEND},
    "CELERY_ENABLED": True,  # a commit that queued mail asks a worker to send it (portal.emails)
    "DEFAULT_PRIORITY": "medium",  # never "now": that would send inside the request again
    "MAX_RETRIES": int(env("EMAIL_MAX_RETRIES", "8")),  # then the message stays "failed" in admin
    "RETRY_INTERVAL": timedelta(minutes=int(env("EMAIL_RETRY_MINUTES", "10"))),
    "LOG_LEVEL": 2,  # a Log row for every attempt, sent or failed, shown in admin
    "MESSAGE_ID_ENABLED": True,  # fixed when queued: a retried message keeps its Message-ID
    "THREADS_PER_PROCESS": 2,
    # One sender at a time per database (post_office's file lock in the temp dir), so no message goes twice.
    "LOCK_FILE_NAME": "post_office-"
    + hashlib.sha256(env("DATABASE_URL", str(VAR_DIR)).encode()).hexdigest()[:16],
}
EMAIL_RETENTION_DAYS = int(env("EMAIL_RETENTION_DAYS", "30"))  # queued mail (bodies, links) kept this long

# Celery: Redis when REDIS_URL is set, otherwise a real worker on the embedded filesystem broker.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A task whose worker died unacknowledged goes back to the queue this many seconds after it was taken
    # (redelivered to the next worker that starts or polls); the kill -9 test shortens it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", str(4 * 3600)))
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    # kombu's filesystem transport expects its folders to exist.
    for folder in ("queue", "processed", "results", "control"):
        (CELERY_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "portal")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Synced into django-celery-beat's tables by the DatabaseScheduler when beat starts (`make run` runs it).
CELERY_BEAT_SCHEDULE = {
    "send-queued-mail": {  # retries mail whose attempt failed, and anything a lost trigger left queued
        "task": "post_office.tasks.send_queued_mail",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "cleanup-mail": {
        "task": "post_office.tasks.cleanup_mail",
        "schedule": 24 * 3600.0,
        "kwargs": {"days": EMAIL_RETENTION_DAYS},
    },
    "close-previous-month": {  # SPEC §9: on the 1st, the close of the month before (billing.tasks)
        "task": "billing.tasks.close_previous_month_task",
        "schedule": crontab(day_of_month=1, hour=2, minute=0),
    },
    "sync-invoice-deliveries": {  # SPEC §9 Send: each contact's result from the email queue (billing.tasks)
        "task": "billing.tasks.sync_invoice_deliveries_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "mark-overdue-invoices": {  # SPEC §9: daily, issued invoices past their due date unpaid become overdue
        "task": "billing.tasks.mark_overdue_task",
        "schedule": crontab(hour=0, minute=30),
    },
    "purge-refused-uploads": {  # refused uploads lose their file after REFUSED_UPLOAD_RETENTION_DAYS
        "task": "inventory.tasks.purge_refused_uploads_task",
        "schedule": crontab(hour=3, minute=30),  # daily
    },
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO" if PRODUCTION else "WARNING")},
    # Configured here, post_office does not add its own INFO handler (a line per batch sent).
    "loggers": {"post_office": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-hover align-middle mb-0"}

# Production hardening (checked by `manage.py check --deploy` in the tests).
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): no inline script, style or handler anywhere; every script and
# stylesheet is a static file of ours (vendored Bootstrap, htmx, Chart.js). Data for scripts comes from
# json_script blocks and data- attributes. Bootstrap's CSS uses data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

PORTAL_NAME = _("Seller Portal")
INVITATION_VALID_DAYS = 7

# Untrusted files (portal/uploads.py; README "Security"). File-size caps per kind of upload: a
# warehouse's monthly ledger of 5 million rows is about 1.5 GB, so ops uploads allow 2 GB.
_MB = 1024 * 1024
LEDGER_MAX_BYTES = int(env("LEDGER_MAX_BYTES", str(2048 * _MB)))  # warehouse (ops) ledger uploads
SELLER_LEDGER_MAX_BYTES = int(env("SELLER_LEDGER_MAX_BYTES", str(200 * _MB)))  # a seller's ledger upload
SKU_IMPORT_MAX_BYTES = int(env("SKU_IMPORT_MAX_BYTES", str(10 * _MB)))
SKU_IMPORT_MAX_ROWS = int(env("SKU_IMPORT_MAX_ROWS", "20000"))
DOCUMENT_MAX_BYTES = int(env("DOCUMENT_MAX_BYTES", str(10 * _MB)))  # certificates, order documents
# Caps checked while a CSV/XLSX is read (refused before it is in memory).
UPLOAD_MAX_LINE_CHARS = int(env("UPLOAD_MAX_LINE_CHARS", str(_MB)))  # one physical line
UPLOAD_MAX_RECORD_CHARS = int(env("UPLOAD_MAX_RECORD_CHARS", str(_MB)))  # one row (quoted multi-line cells)
UPLOAD_MAX_FIELD_CHARS = int(env("UPLOAD_MAX_FIELD_CHARS", str(128 * 1024)))  # one cell
UPLOAD_MAX_COLUMNS = int(env("UPLOAD_MAX_COLUMNS", "500"))
UPLOAD_MAX_ROWS = int(env("UPLOAD_MAX_ROWS", "10000000"))  # rows of one ledger file
UPLOAD_XLSX_MAX_MEMBER_BYTES = int(env("UPLOAD_XLSX_MAX_MEMBER_BYTES", str(768 * _MB)))  # one part, unpacked
UPLOAD_XLSX_MAX_UNPACKED_BYTES = int(env("UPLOAD_XLSX_MAX_UNPACKED_BYTES", str(1024 * _MB)))  # all parts
UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES = int(env("UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES", str(64 * _MB)))
UPLOAD_XLSX_MAX_SHARED_STRINGS = int(env("UPLOAD_XLSX_MAX_SHARED_STRINGS", "1000000"))
UPLOAD_XLSX_MAX_COMPRESSION_RATIO = float(env("UPLOAD_XLSX_MAX_COMPRESSION_RATIO", "100"))
# Stored upload bytes per seller (seller ledgers, SKU imports, certificates; not the warehouse's
# uploads); Seller.upload_quota_bytes overrides it for one seller.
SELLER_UPLOAD_QUOTA_BYTES = int(env("SELLER_UPLOAD_QUOTA_BYTES", str(2048 * _MB)))
# Refused uploads (failed ledger files, refused SKU imports) lose their stored file after this many
# days; the row and its error report stay.
REFUSED_UPLOAD_RETENTION_DAYS = int(env("REFUSED_UPLOAD_RETENTION_DAYS", "30"))

# Bounded work per request (issue 10): an order no real shipment outgrows, documents and exports on workers.
INBOUND_MAX_LINES = int(env("INBOUND_MAX_LINES", "200"))  # groups of identical cartons per order
INBOUND_MAX_CARTONS = int(env("INBOUND_MAX_CARTONS", "5000"))  # cartons (and so carton labels) per order
INBOUND_MAX_UNITS_PER_CARTON = 100_000
INBOUND_MAX_CARTONS_PER_GROUP = INBOUND_MAX_CARTONS
DOCUMENT_LABELS_PER_CHUNK = 200  # carton labels per WeasyPrint document, merged with pypdf
EXPORT_INLINE_MAX_ROWS = int(env("EXPORT_INLINE_MAX_ROWS", "2000"))  # larger exports run on a worker
DOCUMENT_PACKING_LIST_CARTONS_PER_CHUNK = 400  # a longer packing list is rendered in parts, merged with pypdf
# A statement of this many pages or more renders in parts on up to this many processes (issue 13).
STATEMENT_RENDER_PROCESSES = int(env("STATEMENT_RENDER_PROCESSES", "2"))
STATEMENT_PARALLEL_MIN_PAGES = int(env("STATEMENT_PARALLEL_MIN_PAGES", "8"))
