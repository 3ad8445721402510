"""Posture settings, read from the environment (see ``.env.example``).

With nothing set, Posture runs on the embedded default: a SQLite file in
``POSTURE_DATA_DIR`` and Celery in eager mode (scans run in this process: those
started from a page or the API in a background thread, the command line's in the command).
``DATABASE_URL=postgres://...`` and ``CELERY_BROKER_URL=redis://...`` switch to PostgreSQL and real
Celery workers.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from collectors.aws.provider import max_attempts as aws_max_attempts
from collectors.bulk import bulk_mode
from posture.access.claims import ROLES, parse_group_map
from posture.env import env_bool, env_choice, env_commands, env_int, env_list, env_str
from posture.local_keys import new_fernet_key, new_secret_key, read_or_create
from posture.logs import audit_handlers
from posture.rules.packs.kubernetes.settings import rule_settings
from posture.rules.thresholds import check_thresholds

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("POSTURE_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("POSTURE_DEBUG", False)
SECRET_KEY = env_str("POSTURE_SECRET_KEY") or read_or_create(DATA_DIR / "secret_key", new_secret_key)
ALLOWED_HOSTS = env_list("POSTURE_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("POSTURE_CSRF_TRUSTED_ORIGINS")

# Credentials at rest: Fernet keys, newest first. The first encrypts; all decrypt.
ENCRYPTION_KEYS = env_list("POSTURE_ENCRYPTION_KEYS") or [read_or_create(DATA_DIR / "encryption_key", new_fernet_key)]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "posture.access",
    "posture.inventory",
    "posture.rules",
    "posture.findings",
    "posture.scans",
    "posture.images",
    "posture.api",
    "posture.paths",
    "posture.integrations",
    "posture.demo",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "posture.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "posture.access.middleware.RequireAdminTotpMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "posture.access.page_roles.RequireRoleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "posture.urls"
WSGI_APPLICATION = "posture.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite in the data directory unless DATABASE_URL says otherwise.
_database_url = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'posture.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except Exception as exc:  # dj_database_url raises several types for junk
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    # A file, not memory, so that a worker process in the tests sees the test data; one per test run.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["posture.access.throttle.ThrottledModelBackend"]
LOGIN_MAX_FAILURES_PER_USER = env_int("POSTURE_LOGIN_MAX_FAILURES_PER_USER", 5, minimum=1)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("POSTURE_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("POSTURE_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# The header trusted reverse proxies append the client address to (e.g. HTTP_X_FORWARDED_FOR); empty: REMOTE_ADDR.
# The address is the entry the outermost of POSTURE_TRUSTED_PROXY_COUNT proxies appended (counted from the right).
TRUSTED_PROXY_HEADER = env_str("POSTURE_TRUSTED_PROXY_HEADER")
TRUSTED_PROXY_COUNT = env_int("POSTURE_TRUSTED_PROXY_COUNT", 1, minimum=1)

# Single sign-on with OpenID Connect (see README, Security notes). Off while the issuer or client id is empty.
OIDC_ISSUER = env_str("POSTURE_OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_ID = env_str("POSTURE_OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("POSTURE_OIDC_CLIENT_SECRET")
OIDC_PROVIDER_NAME = env_str("POSTURE_OIDC_PROVIDER_NAME", "your identity provider")
OIDC_SCOPES = env_list("POSTURE_OIDC_SCOPES", ["openid", "profile", "email"])
OIDC_USERNAME_CLAIM = env_str("POSTURE_OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env_str("POSTURE_OIDC_GROUPS_CLAIM", "groups")
OIDC_ROLE_MAP = parse_group_map("POSTURE_OIDC_ROLE_MAP", env_str("POSTURE_OIDC_ROLE_MAP"), ROLES)
OIDC_TEAM_MAP = parse_group_map("POSTURE_OIDC_TEAM_MAP", env_str("POSTURE_OIDC_TEAM_MAP"))
OIDC_TEAM_PREFIX = env_str("POSTURE_OIDC_TEAM_PREFIX")
OIDC_REQUIRE_TOTP = env_bool("POSTURE_OIDC_REQUIRE_TOTP", False)
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET and OIDC_ROLE_MAP):
    raise ImproperlyConfigured(
        "POSTURE_OIDC_ISSUER is set: POSTURE_OIDC_CLIENT_ID, POSTURE_OIDC_CLIENT_SECRET and POSTURE_OIDC_ROLE_MAP"
        " are needed too"
    )
LOCAL_LOGIN = env_bool("POSTURE_LOCAL_LOGIN", True)
if not LOCAL_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured("POSTURE_LOCAL_LOGIN=false needs POSTURE_OIDC_ISSUER: nobody could sign in")
# TOTP second factor: admins who sign in with a password must set it up before anything else.
REQUIRE_ADMIN_TOTP = env_bool("POSTURE_REQUIRE_ADMIN_TOTP", False)
TOTP_ISSUER = env_str("POSTURE_TOTP_ISSUER", "Posture")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Behind HTTPS (production): secure cookies, HSTS and the redirect to https.
SESSION_COOKIE_SECURE = env_bool("POSTURE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("POSTURE_HSTS_SECONDS", 31536000 if SESSION_COOKIE_SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_SSL_REDIRECT = env_bool("POSTURE_SSL_REDIRECT", SESSION_COOKIE_SECURE)
if env_bool("POSTURE_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_AGE = env_int("POSTURE_SESSION_AGE_SECONDS", 8 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "posture.access.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["posture.access.permissions.RolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "posture.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["posture.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "posture.api.pagination.Cursor",
    "PAGE_SIZE": 100,
    "URL_FORMAT_OVERRIDE": None,  # ?format= selects an export format, not a renderer
    "DEFAULT_SCHEMA_CLASS": "posture.api.schema.PostureAutoSchema",
    "EXCEPTION_HANDLER": "posture.api.errors.exception_handler",
}
# The OpenAPI schema (/api/v1/schema/) and docs page (/api/v1/docs/) need sign-in like the API unless true.
PUBLIC_API_DOCS = env_bool("POSTURE_PUBLIC_API_DOCS", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Posture API",
    "DESCRIPTION": "Findings, compliance and scans of your cloud accounts and clusters.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed package, not a CDN: Posture runs on closed networks too.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:  # eager tasks still open a producer: point it at memory, not at a guessed localhost
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Without a broker, a scan started from a page or the API runs in a background thread of the server (the
# request returns at once); off, it runs in the request as eager Celery does (what the tests rely on).
SCAN_IN_BACKGROUND = env_bool("POSTURE_SCAN_IN_BACKGROUND", CELERY_TASK_ALWAYS_EAGER)
# Starting a scan must not hang on a broker that is down or frozen: each connect or command gives up after this
# many seconds and a publish is tried twice, so "the task queue is unavailable" comes within a few seconds.
QUEUE_TIMEOUT_SECONDS = env_int("POSTURE_QUEUE_TIMEOUT_SECONDS", 2, minimum=1, maximum=60)
CELERY_BROKER_CONNECTION_TIMEOUT = QUEUE_TIMEOUT_SECONDS
# socket_timeout stays above kombu's 1 s BRPOP wait, so an idle worker is not disconnected by it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": QUEUE_TIMEOUT_SECONDS,
    "socket_timeout": max(QUEUE_TIMEOUT_SECONDS, 2),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE = {
    "dispatch-scheduled-scans": {
        "task": "posture.scans.tasks.dispatch_scheduled_scans",
        "schedule": env_int("POSTURE_SCHEDULER_INTERVAL_SECONDS", 300, minimum=10),
    },
    "expire-mutes": {"task": "posture.scans.tasks.expire_mutes", "schedule": 600},
    "reap-stale-scans": {"task": "posture.scans.tasks.reap_stale_scans", "schedule": 120},
    "purge-history": {"task": "posture.scans.tasks.purge_history", "schedule": 24 * 3600},
    "integrations-sweep": {"task": "posture.integrations.tasks.sweep", "schedule": 60},
    "requeue-lost-path-rebuild": {"task": "posture.paths.tasks.requeue_lost_rebuild", "schedule": 300},
}

# User-supplied URLs (cloud endpoint overrides, webhooks, Jira) may not reach internal addresses
# (link-local and metadata, private, loopback) unless listed here, comma-separated CIDRs.
ALLOWED_NETWORKS = env_list("POSTURE_ALLOWED_NETWORKS")
# The command lines a kubeconfig's exec (or auth-provider) plugin may run, separated by ';', each word for
# word, '*' standing for any one word not starting with '-'; 'auth-provider:NAME' allows that provider.
# Only kubeconfigs the operator adds at the command line may use them; empty: no plugin runs.
KUBECONFIG_EXEC_ALLOWLIST = env_commands("POSTURE_KUBECONFIG_EXEC_ALLOWLIST")

# Scans and history
RETENTION_DAYS = env_int("POSTURE_RETENTION_DAYS", 400, minimum=1)
SCAN_CONCURRENCY = env_int("POSTURE_SCAN_CONCURRENCY", 8, minimum=1, maximum=64)
# With a broker, one account's (service, region) units are spread over all the workers and its records staged in
# the database as they come, so no worker holds a whole account (posture/scans/spread.py); off: one worker runs it.
SCAN_SPREAD = env_bool("POSTURE_SCAN_SPREAD", True)
# One (service, region) that has not answered after this long is recorded as a timeout; the scan goes on.
SCAN_UNIT_TIMEOUT_SECONDS = env_int("POSTURE_SCAN_UNIT_TIMEOUT_SECONDS", 900, minimum=1)
# The stale time. In-process (one worker runs the scan): a running scan whose worker has not reported for this
# long is marked failed (the worker died). Spread over the workers: a running (service, region) unit not heard
# from for this long (no batch, no report) is lost; a queued unit waits as long as the workers are taking work,
# and is lost only when no unit of any scan was taken, staged a batch or reported, and no scan started, for this
# long (the workers stopped, or the queue lost it); a lost unit makes its scan partial. Keep it above
# POSTURE_SCAN_UNIT_TIMEOUT_SECONDS: a unit never runs longer than that, but may stage nothing until it ends.
SCAN_STALE_SECONDS = env_int("POSTURE_SCAN_STALE_SECONDS", 1800, minimum=60)
# Storing a scan's results is one transaction; a dropped database connection rolls it back and it is tried
# again (after 1, 2, 4... seconds) up to this many times in all, then the scan is marked failed.
SCAN_STORE_ATTEMPTS = env_int("POSTURE_SCAN_STORE_ATTEMPTS", 4, minimum=1, maximum=10)
# Extra modules imported at start-up: custom providers, collectors and rules.
PLUGINS = env_list("POSTURE_PLUGINS")
# Extra folders of framework files (*.yaml), besides posture/rules/frameworks.
FRAMEWORK_DIRS = [Path(p) for p in env_list("POSTURE_FRAMEWORK_DIRS")]
# The rules and collectors read their settings themselves, through the same readers (they know no Django);
# reading them here once stops start-up on a bad value.
rule_settings()
check_thresholds()
aws_max_attempts()
bulk_mode()  # POSTURE_BULK_INVENTORY: auto (Resource Graph, Cloud Asset Inventory, AWS Config) or off

LOG_LEVEL = env_choice("POSTURE_LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
LOG_FORMAT = env_choice("POSTURE_LOG_FORMAT", "plain", ("plain", "json"))
# Audit entries are also forwarded as JSON, as they happen, to syslog (host:port or a socket path)
# and/or an HTTP collector: somewhere an attacker inside Posture cannot edit them.
_AUDIT_HANDLERS = audit_handlers(env_str("POSTURE_AUDIT_SYSLOG"), env_str("POSTURE_AUDIT_HTTP_URL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "posture.logs.JsonFormatter"},
        "message": {"format": "posture-audit: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
        **_AUDIT_HANDLERS,
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL.upper()},
    "loggers": {
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "azure": {"level": "WARNING"},
        "werkzeug": {"level": "WARNING"},
        # without a broker, tasks run in the caller: their "Task ... succeeded" lines are a worker's, not ours
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
        "posture.audit": {"handlers": list(_AUDIT_HANDLERS), "level": "INFO", "propagate": False},
    },
}
