"""Settings, all read from the environment (see .env.example for every variable)."""

import warnings
from datetime import timedelta
from pathlib import Path

import environ
from django.conf import global_settings
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from core.oauth.scopes import SCOPES

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")


def _weak_secret_key(key: str) -> str | None:
    """Why a key must not sign anything in production (None when it may): Django's own idea of a weak
    key, and what a copied example leaves behind (a comment, a placeholder with spaces)."""
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return f"it starts with {SECRET_KEY_INSECURE_PREFIX!r}, like the keys `startproject` publishes"
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"it is shorter than {SECRET_KEY_MIN_LENGTH} characters or too repetitive"
    if key.startswith("#") or any(char.isspace() for char in key):
        return "it contains spaces or starts with '#' (a comment copied as the value?)"
    return None


if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: one generated key in var/, shared by the web process and the task worker
    # (the worker decrypts the codes the web process encrypted for SMS delivery).
    _dev_key_file = BASE_DIR / "var" / "dev-secret-key"
    if not _dev_key_file.exists():
        _dev_key_file.parent.mkdir(exist_ok=True)
        _dev_key_file.write_text(get_random_secret_key())
        _dev_key_file.chmod(0o600)
    SECRET_KEY = _dev_key_file.read_text().strip()
elif not DEBUG and (_weakness := _weak_secret_key(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY is not fit for use when DEBUG is off: {_weakness}. Generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "oauth2_provider",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # core before django_tasks_db: its `db_worker` (which rides out database outages) wins
    "core",
    "django_tasks_db",
    "verifications",
    "persons",
    "declarations",
    "approvals",
]

MIDDLEWARE = [
    "core.observability.metrics.MetricsMiddleware",  # first: answers /metrics, and times everything below it
    "core.observability.request_id.RequestIdMiddleware",
    "core.api.middleware.ApiHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.api.middleware.ApiLocaleMiddleware",  # Django's LocaleMiddleware, English by default on /api/
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # the admin login's lockout page (429)
    # last, so it sees a view's exception first: a lost database connection is a 503, not a 500
    "core.observability.db_unavailable.DatabaseUnavailableMiddleware",
    # /admin/: Kyiv time, a statement timeout for reads; after the one above, so a cancelled query (not a
    # lost connection) is its page
    "core.backoffice.middleware.BackOfficeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

VAR_DIR = BASE_DIR / "var"  # local state of the embedded setup: SQLite file, SMS outbox, uploads
VAR_DIR.mkdir(exist_ok=True)

# An empty DATABASE_URL (a blank line of .env.example filled in later) means the default too.
DATABASES = {"default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement run 5 times on a connection prepared there: each of
    # our few statement shapes is parsed and planned once per connection (about half of PostgreSQL's
    # CPU per write, measured). Behind PgBouncer in transaction mode, prepared statements need its
    # max_prepared_statements (1.21+); DATABASE_PREPARED_STATEMENTS=false turns them off.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=5 if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else None,
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Django's slow hashers for people's passwords (the first one hashes them), and the fast keyed digest of
# OAuth client secrets, long random strings (core.oauth.hashers; DOT's CLIENT_SECRET_HASHER below).
PASSWORD_HASHERS = [*global_settings.PASSWORD_HASHERS, "core.oauth.hashers.ClientSecretHasher"]
# The admin login (django-axes): locked for a username from an address after this many failures,
# for the cool-off (429); a success resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "core.backoffice.login.client_ip"
AXES_VERBOSE = False  # no banner on every start

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "uk"  # the back office; the API answers in English unless Accept-Language asks for uk
LANGUAGES = [("uk", "Українська"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"  # the API's; the back office shows ADMIN_TIME_ZONE
# --- Back office (docs/back-office.md) ---
ADMIN_TIME_ZONE = env.str("ADMIN_TIME_ZONE", default="Europe/Kyiv")
ADMIN_STATEMENT_TIMEOUT_MS = env.int("ADMIN_STATEMENT_TIMEOUT_MS", default=10_000)  # PostgreSQL, reads on /admin/
ADMIN_BULK_SMS_LIMIT = env.int("ADMIN_BULK_SMS_LIMIT", default=100)  # records per bulk action that sends SMS
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names once `collectstatic` has written its manifest; before that (a fresh
    # checkout, DEBUG on or off) plain names, served by WhiteNoise straight from the apps' folders.
    "staticfiles": {"BACKEND": "core.backoffice.staticfiles.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG or not (STATIC_ROOT / "staticfiles.json").exists()
if WHITENOISE_USE_FINDERS:  # STATIC_ROOT may not exist yet, and need not: say nothing about it
    warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)

LOGIN_URL = "/admin/login/"

# --- HTTPS hardening (production) -------------------------------------------------------------
# How many reverse proxies (TLS terminators, load balancers) stand in front of the service. With 0,
# nothing a client sends says the request was HTTPS; with 1 or more, the proxy's X-Forwarded-Proto
# counts (the proxy must set it, overwriting any the client sent).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT > 0 else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^api/health(/live|/ready)?$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.oauth.authentication.ClientTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.HasActionScope"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PagePagination",
    "DEFAULT_METADATA_CLASS": "core.api.metadata.AllowedMethodsMetadata",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.EnvelopeAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 50,
    "DEFAULT_VERSIONING_CLASS": None,
}
# `Idempotency-Key` (core.api.idempotency): how long a key's first answer is kept, and how long a request
# may hold its key before a retry may take over (a process that died mid-request never finishes it).
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
IDEMPOTENCY_KEY_LEASE_SECONDS = env.int("IDEMPOTENCY_KEY_LEASE_SECONDS", default=120)
# The database unreachable: 503 with this Retry-After (core.observability.db_unavailable).
DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int("DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS", default=5)

OAUTH2_PROVIDER_APPLICATION_MODEL = "core.Client"
OAUTH2_PROVIDER = {
    "SCOPES": SCOPES,
    "DEFAULT_SCOPES": [],
    "SCOPES_BACKEND_CLASS": "core.oauth.provider.ClientScopes",
    # client secrets: a fast keyed digest (core.oauth.hashers), and failed authentications throttled
    # (core.oauth.provider)
    "CLIENT_SECRET_HASHER": "hmac_sha256",
    "OAUTH2_VALIDATOR_CLASS": "core.oauth.provider.ClientValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("REFRESH_TOKEN_EXPIRE_SECONDS", default=86400),
    "PKCE_REQUIRED": True,
    # RFC 9700 (OAuth 2.0 Security BCP): no implicit or password grants, S256 PKCE only, tokens only in
    # headers, hashed token storage, refresh-token replay revokes the family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if not DEBUG else ["http", "https"],
}

# After this many failed authentications with one client id in the window, /oauth/ answers 429 for it.
OAUTH_CLIENT_FAILED_LIMIT = env.int("OAUTH_CLIENT_FAILED_LIMIT", default=10)
OAUTH_CLIENT_FAILED_WINDOW_SECONDS = env.int("OAUTH_CLIENT_FAILED_WINDOW_SECONDS", default=60)

SPECTACULAR_SETTINGS = {
    "TITLE": "eHealth identity-confirmation service",
    "DESCRIPTION": (
        "Confirms a patient's consent (OTP by SMS, OFFLINE documents, a third person) before the "
        "registry changes anything about them. Every `/api/` call needs `Authorization: Bearer <token>` "
        "and `Api-key: <key>`; every JSON answer is wrapped in the `meta`/`data` (or `error`) envelope."
    ),
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "OAUTH2_FLOWS": ["clientCredentials", "authorizationCode"],
    "OAUTH2_TOKEN_URL": "/oauth/token/",
    "OAUTH2_AUTHORIZATION_URL": "/oauth/authorize/",
    "OAUTH2_SCOPES": SCOPES,
    "POSTPROCESSING_HOOKS": ["core.api.schema.wrap_in_envelope"],
    "COMPONENT_SPLIT_REQUEST": True,
    # PATCH here means an action (approve, complete), never a partial update: keep required fields required.
    "COMPONENT_SPLIT_PATCH": False,
    "ENUM_NAME_OVERRIDES": {},
}

# --- Tasks ------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# how long a worker may run one task before `expire_requests` takes it for dead and queues it again
TASK_RUNNING_LEASE_SECONDS = env.int("TASK_RUNNING_LEASE_SECONDS", default=900)
# `cleanup` deletes finished jobs and finished task results older than these
JOB_RETENTION_DAYS = env.int("JOB_RETENTION_DAYS", default=7)
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=7)
# `manage.py db_worker` (core's) waits out a database outage: first retry after this, doubling up to the max.
DB_WORKER_BACKOFF_SECONDS = env.float("DB_WORKER_BACKOFF_SECONDS", default=0.5)
DB_WORKER_BACKOFF_MAX_SECONDS = env.float("DB_WORKER_BACKOFF_MAX_SECONDS", default=30.0)
# how often a task that lost its database mid-run is queued again before it counts as FAILED
DB_WORKER_TASK_REQUEUES = env.int("DB_WORKER_TASK_REQUEUES", default=3)

# --- Domain -----------------------------------------------------------------------------------
# Development writes each SMS to a file; production must say how SMS reach patients (see core/observability/checks.py).
SMS_BACKEND = env.str("SMS_BACKEND", default="file" if DEBUG else "")
if not SMS_BACKEND:
    raise ImproperlyConfigured(
        "SMS_BACKEND must be set when DEBUG is off: `http` (with SMS_HTTP_URL) sends real SMS; "
        "`file` and `console` only write them down, with their codes in clear."
    )
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=str(VAR_DIR / "sms-outbox.jsonl"))
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT_SECONDS = env.float("SMS_HTTP_TIMEOUT_SECONDS", default=5.0)
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=5)
# a failed send is retried after SMS_RETRY_BASE_SECONDS, doubling each time, at most SMS_RETRY_MAX_SECONDS
SMS_RETRY_BASE_SECONDS = env.float("SMS_RETRY_BASE_SECONDS", default=10.0)
SMS_RETRY_MAX_SECONDS = env.float("SMS_RETRY_MAX_SECONDS", default=600.0)
# how long a worker may hold an SMS it is sending before housekeeping queues it again
SMS_SENDING_LEASE_SECONDS = env.int("SMS_SENDING_LEASE_SECONDS", default=300)

OTP_CODE_LENGTH = env.int("OTP_CODE_LENGTH", default=4)
OTP_CODE_TTL_MINUTES = env.int("OTP_CODE_TTL_MINUTES", default=15)
OTP_GENERATOR = env.str("OTP_GENERATOR", default="random")
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=3)
# codes per window for one client and phone (and one per cooldown), and for a phone from all clients
OTP_SEND_LIMIT = env.int("OTP_SEND_LIMIT", default=5)
OTP_PHONE_SEND_LIMIT = env.int("OTP_PHONE_SEND_LIMIT", default=10)
OTP_SEND_WINDOW_MINUTES = env.int("OTP_SEND_WINDOW_MINUTES", default=15)
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=30)
# the guess budget: wrong codes per phone (every code, kind and client) per window; past it, the phone rests
OTP_FAILED_LIMIT = env.int("OTP_FAILED_LIMIT", default=10)
OTP_FAILED_WINDOW_HOURS = env.int("OTP_FAILED_WINDOW_HOURS", default=24)
# a phone becomes an OTP method only if the same client verified it (POST /api/verifications + complete) this recently
PHONE_VERIFIED_TTL_MINUTES = env.int("PHONE_VERIFIED_TTL_MINUTES", default=1440)

NO_SELF_AUTH_AGE = env.int("NO_SELF_AUTH_AGE", default=14)
THIRD_PERSON_TERM_DAYS = env.int("THIRD_PERSON_TERM_DAYS", default=730)
AUTH_METHOD_REQUEST_TTL_DAYS = env.int("AUTH_METHOD_REQUEST_TTL_DAYS", default=1)
MERGE_REQUEST_TTL_DAYS = env.int("MERGE_REQUEST_TTL_DAYS", default=1)
DECLARATION_REQUEST_TTL_DAYS = env.int("DECLARATION_REQUEST_TTL_DAYS", default=1)
DECLARATION_LIMIT_THERAPIST = env.int("DECLARATION_LIMIT_THERAPIST", default=2000)
DECLARATION_LIMIT_PEDIATRICIAN = env.int("DECLARATION_LIMIT_PEDIATRICIAN", default=900)
DECLARATION_LIMIT_FAMILY_DOCTOR = env.int("DECLARATION_LIMIT_FAMILY_DOCTOR", default=1800)
# A declaration's years; a pediatrician's patient's ends the day before their 18th birthday.
DECLARATION_TERM_YEARS = env.int("DECLARATION_TERM_YEARS", default=20)

# --- Declaration signatures (declarations.signatures, docs/declarations-sign.md) ----------------
# cms: X.509 CMS SignedData verified here (RSA, ECDSA); http: an external service (DSTU 4145).
SIGNATURE_BACKEND = env.str("SIGNATURE_BACKEND", default="cms")
# The development CA of `manage.py make_dev_ca` and `sign_declaration_request`, trusted only with DEBUG.
SIGNATURE_DEV_CA_DIR = Path(env.str("SIGNATURE_DEV_CA_DIR", default=str(VAR_DIR / "dev-ca")))
# PEM file of the CA certificates a doctor's signing certificate must chain to.
SIGNATURE_TRUSTED_CERTS = env.str(
    "SIGNATURE_TRUSTED_CERTS", default=str(SIGNATURE_DEV_CA_DIR / "ca.pem") if DEBUG else ""
)
SIGNATURE_HTTP_URL = env.str("SIGNATURE_HTTP_URL", default="")
SIGNATURE_HTTP_TOKEN = env.str("SIGNATURE_HTTP_TOKEN", default="")
SIGNATURE_HTTP_TIMEOUT_SECONDS = env.float("SIGNATURE_HTTP_TIMEOUT_SECONDS", default=10.0)

APPROVAL_TTL_MINUTES = env.int("APPROVAL_TTL_MINUTES", default=1440)
APPROVAL_RESEND_MODE = env.str("APPROVAL_RESEND_MODE", default="async")
if APPROVAL_RESEND_MODE not in ("async", "sync"):
    raise ImproperlyConfigured("APPROVAL_RESEND_MODE must be async or sync.")

UPLOAD_URL_TTL_SECONDS = env.int("UPLOAD_URL_TTL_SECONDS", default=3600)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)

# --- Metrics (core.observability.metrics, docs/operations-metrics.md) ----------------------------------------
# Who may scrape /metrics besides loopback: addresses or networks, comma-separated (10.0.0.5,10.1.0.0/16).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# The window of the series read from the database at scrape time (codes, SMS, their latency).
METRICS_WINDOW_SECONDS = env.int("METRICS_WINDOW_SECONDS", default=300)

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# text: one readable line per record; json: one JSON object per line (core.observability.logformat), for a log shipper.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.request_id.RequestIdLogFilter"}},
    "formatters": {
        "plain": {
            # the whole line, traceback included, with every phone number masked (core.observability.masking)
            "class": "core.observability.masking.MaskingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "core.observability.logformat.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
            "level": LOG_LEVEL,
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own `console` (with DEBUG) and `mail_admins` handlers would print or mail the raw
        # lines ("Not Found: /api/verifications/+380..."): its records go through our handler only.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # runserver's access log through our handler too, so phone numbers in URLs are masked
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # pyHanko logs a traceback for each refused signature, which the API already answers with a 422
        "pyhanko": {"level": "ERROR"},
        "pyhanko_certvalidator": {"level": "ERROR"},
    },
}

# Password of the `admin` user that `seed_demo` creates (random and printed once when unset).
DEMO_ADMIN_PASSWORD = env.str("DEMO_ADMIN_PASSWORD", default="")
# Development only: the demo client's clear secret, API key and token, so each `seed_demo` prints the same.
DEMO_CREDENTIALS_FILE = VAR_DIR / "demo-credentials.json"
