"""MyBA settings, read from the environment (12-factor).

Every variable is documented in README.md. Defaults give the zero-setup local run (SQLite,
local-memory cache, Celery tasks inline); production sets DATABASE_URL, REDIS_URL and
SECRET_KEY and keeps DEBUG off.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("MYBA_DATA_DIR", BASE_DIR / ".data"))
VERSION = "0.1.0"


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG off) refuses to start without it: "
            "set SECRET_KEY to a long random string, or set DEBUG=1 for local development."
        )
    # Development: generate once and keep it, so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.gitlab",
    "allauth.socialaccount.providers.atlassian",
    "allauth.socialaccount.providers.microsoft",
    "allauth.mfa",
    "allauth.usersessions",
    "djstripe",
    "django_htmx",
    "template_partials",
    "accounts",
    "tokens",
    "billing",
    "tickets",
    "admin_dashboard",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.VisitorCookieMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- Database -------------------------------------------------------------------------------
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at BEGIN so
    # concurrent writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The dashboard's covering indexes (INCLUDE columns) are a PostgreSQL speed-up; SQLite
    # builds them as plain indexes, which is all the zero-setup run needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    # Persistent connections with health checks: Django's default of opening a connection
    # per request cost 8x in page throughput on this machine (see ../shared/STACK.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The ledger's hot statements (tokens/services/_core.py) use server-side parameters and
    # are prepared after 5 uses: re-planning them halved reserve+capture throughput. Django's
    # own (client-side) cursors are never prepared. DB_PREPARED_STATEMENTS=0 behind a
    # transaction-pooling PgBouncer older than 1.21.
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "myba",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    # No broker: run tasks inline, still after the transaction commits (on_commit).
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    # Abandoned holds (a crashed worker) give their tokens back within a minute or two.
    "tokens-release-expired-holds": {
        "task": "tokens.tasks.release_expired_holds_task",
        "schedule": 60.0,
    },
    "tokens-expire-lots": {"task": "tokens.tasks.expire_lots_task", "schedule": 3600.0},
}
# Nightly proof that balances agree with the ledger; the result is shown on the dashboard.
CELERY_BEAT_SCHEDULE["tokens-nightly-audit"] = {
    "task": "tokens.tasks.ledger_audit_task",
    "schedule": crontab(hour=3, minute=17),
}
# The overview's figures are kept this long in the cache (0: computed on every load); beat
# recomputes the preset ranges a little more often, so staff seldom wait for a computation.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 300)
if DASHBOARD_CACHE_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["dashboard-refresh-overview"] = {
        "task": "admin_dashboard.tasks.refresh_overview_task",
        "schedule": max(30.0, DASHBOARD_CACHE_SECONDS * 0.8),
    }
# Tickets whose worker died (hold released by the ledger's sweeper) are marked failed.
CELERY_BEAT_SCHEDULE["tickets-sweep-stuck"] = {
    "task": "tickets.sweep_stuck_tickets",
    "schedule": 60.0,
}

# --- Auth (django-allauth) ------------------------------------------------------------------
# The staff dashboard (/dashboard/) needs staff with MFA; `make run` (DEBUG on) lets the
# printed demo staff look around without enrolling an authenticator first.
DASHBOARD_REQUIRE_MFA = env_bool("DASHBOARD_REQUIRE_MFA", not DEBUG)
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Confirming the email in the browser that signed up signs the user in (allauth only does
# this for the session holding the pending sign-up).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
USERSESSIONS_TRACK_ACTIVITY = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[MyBA] "
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# WebAuthn needs https except on localhost; allow plain http only in development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_PASSKEY_SIGNUP_ENABLED = False
# A social login whose email the provider verified signs in to (and connects) the local
# account with that address; unverified provider emails never match (allauth checks).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_LOGIN_ON_GET = False
# OAuth apps from the environment (<PROVIDER>_CLIENT_ID and <PROVIDER>_CLIENT_SECRET); a
# provider with neither these nor a SocialApp row in the admin shows no button.
_OAUTH_PROVIDERS: dict[str, dict] = {
    "google": {},
    "github": {},
    "gitlab": {},
    "atlassian": {},
    "microsoft": {"TENANT": os.environ.get("MICROSOFT_TENANT", "common")},
}
SOCIALACCOUNT_PROVIDERS: dict = {}
for _provider, _settings in _OAUTH_PROVIDERS.items():
    _client_id = os.environ.get(f"{_provider.upper()}_CLIENT_ID", "")
    _secret = os.environ.get(f"{_provider.upper()}_CLIENT_SECRET", "")
    if _client_id and _secret:
        _settings["APPS"] = [{"client_id": _client_id, "secret": _secret}]
    SOCIALACCOUNT_PROVIDERS[_provider] = _settings
if os.environ.get("GITLAB_URL"):
    SOCIALACCOUNT_PROVIDERS["gitlab"]["GITLAB_URL"] = os.environ["GITLAB_URL"]

# --- Free tokens ----------------------------------------------------------------------------
VISITOR_FREE_TOKENS = 3
VISITOR_GRANTS_PER_NETWORK_PER_DAY = env_int("VISITOR_GRANTS_PER_NETWORK_PER_DAY", 3)
WELCOME_TOKENS = 6
LOW_BALANCE_THRESHOLD = 2
VISITOR_COOKIE_NAME = "myba_visitor"
# The header a trusted reverse proxy sets to the client address (e.g. X-Forwarded-For);
# empty means REMOTE_ADDR, because any client can send such a header itself.
TRUSTED_PROXY_IP_HEADER = os.environ.get("TRUSTED_PROXY_IP_HEADER", "")

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "MyBA <no-reply@myba.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)

# --- Stripe (dj-stripe) and LLM -------------------------------------------------------------
STRIPE_LIVE_MODE = env_bool("STRIPE_LIVE_MODE", False)
STRIPE_LIVE_SECRET_KEY = os.environ.get("STRIPE_LIVE_SECRET_KEY", "")
STRIPE_TEST_SECRET_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
# Billing: the first purchase of each user is this much off (a Stripe coupon; 0 turns it off).
BILLING_FIRST_PURCHASE_DISCOUNT_PERCENT = env_int("BILLING_FIRST_PURCHASE_DISCOUNT_PERCENT", 20)
CELERY_BEAT_SCHEDULE["billing-retry-failed-webhooks"] = {
    "task": "billing.tasks.retry_failed_webhooks_task",
    "schedule": 60.0,
}
OPENROUTER_API_KEY = os.environ.get("OPENROUTER_API_KEY", "")
OPENROUTER_BASE_URL = os.environ.get("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1")
# Ticket generation: each quality has a model and a fallback list, tried in order.
OPENROUTER_MODEL_STANDARD = os.environ.get("OPENROUTER_MODEL_STANDARD", "openai/gpt-oss-20b")
OPENROUTER_MODEL_ADVANCED = os.environ.get("OPENROUTER_MODEL_ADVANCED", "openai/gpt-oss-120b")
OPENROUTER_FALLBACKS_STANDARD = env_list(
    "OPENROUTER_FALLBACKS_STANDARD", "meta-llama/llama-3.3-70b-instruct"
)
OPENROUTER_FALLBACKS_ADVANCED = env_list(
    "OPENROUTER_FALLBACKS_ADVANCED", "anthropic/claude-3.5-haiku,openai/gpt-oss-20b"
)
OPENROUTER_CONNECT_TIMEOUT = float(os.environ.get("OPENROUTER_CONNECT_TIMEOUT") or 5)
OPENROUTER_READ_TIMEOUT = float(os.environ.get("OPENROUTER_READ_TIMEOUT") or 60)
OPENROUTER_MAX_RETRIES = env_int("OPENROUTER_MAX_RETRIES", 2)
OPENROUTER_BACKOFF_SECONDS = float(os.environ.get("OPENROUTER_BACKOFF_SECONDS") or 1)
OPENROUTER_RETRY_AFTER_MAX = float(os.environ.get("OPENROUTER_RETRY_AFTER_MAX") or 10)
# When every model fails, write a Standard ticket with the offline generator instead of failing.
TICKETS_OFFLINE_FALLBACK = env_bool("TICKETS_OFFLINE_FALLBACK", False)

# --- Static files, i18n ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production (after collectstatic); plain files otherwise.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO") else None
)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging: JSON lines in production, each line carries the request id --------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "text" if DEBUG else "json",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"level": "INFO"},
    },
}
