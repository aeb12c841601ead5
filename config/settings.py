"""MyBA settings, read from the environment (12-factor) through django-environ.

Every variable is documented in README.md. Defaults give the zero-setup local run (SQLite,
local-memory cache, Celery tasks inline); production sets DATABASE_URL, REDIS_URL and
SECRET_KEY and keeps DEBUG off.

Importing this module only reads: the files the local run keeps (the data directory, the
development secret key) are made by `make run`, and `collectstatic` makes STATIC_ROOT.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

# An empty variable counts as unset (what `VAR=` in a compose file or CI matrix means), so it
# falls back to the documented default instead of failing to parse.
env = environ.Env()
env.ENVIRON = {name: value for name, value in os.environ.items() if value != ""}
# Secrets (keys, passwords) are read straight from os.environ, verbatim: django-environ takes
# a value starting with "$" as the name of another variable, and a secret may start with "$".

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.str("MYBA_DATA_DIR", default=str(BASE_DIR / ".data")))
VERSION = "0.1.0"

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG off) refuses to start without it: "
            "set SECRET_KEY to a long random string, or set DEBUG=1 for local development."
        )
    # Development: `make run` generates the key once, so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and {path} does not exist: `make run` creates it, "
            "or set SECRET_KEY."
        ) from None


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", cast=str.strip, default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", cast=str.strip, default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The name emails and pages call the site by; with SITE_URL's host it is written to the
# django.contrib.sites record on every `migrate` (accounts.receivers.sync_site_on_migrate).
SITE_NAME = env.str("SITE_NAME", default="MyBA")
# Where people whose account was deactivated (or who need a person) write to.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@myba.local")

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
    "ninja",  # the public API; its Swagger UI assets are served from our static files
    "accounts",
    "tokens",
    "billing",
    "tickets",
    "admin_dashboard",
    "bonuses",
    "gifts",
    "referrals",
    "integrations",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "config.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.languages.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.ThrottledUserSessionsMiddleware",
    "accounts.middleware.VisitorCookieMiddleware",
    "config.middleware.BrandedNotFoundMiddleware",
    "config.middleware.RateLimitHeadersMiddleware",
]
# The bearer token a Prometheus scraper sends to GET /metrics; empty: /metrics is a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# With DEBUG on, missing pages show the site's 404 page unless a developer asks for Django's.
DEBUG_TECHNICAL_404 = env.bool("DEBUG_TECHNICAL_404", default=False)

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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
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
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Celery's Django fixup closes every connection before and after each task unless told
    # to reuse them: a new PostgreSQL backend per ticket cost ≈ 20 ms of database CPU and
    # threw away the prepared statements below. It now closes them every N tasks, and
    # `config.celery` drops a connection past CONN_MAX_AGE or broken before each task, as
    # Django does before each request.
    CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
    # Server-side parameters, and every statement prepared after 5 uses on its connection:
    # re-planning the ledger's statements halved reserve+capture throughput, and Django's
    # own queries planned anew cost a ticket submit about a quarter of its CPU (web, worker
    # and PostgreSQL; bench/web.py). DB_PREPARED_STATEMENTS=0 behind a transaction-pooling
    # PgBouncer older than 1.21.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Timing contract of a generation (tickets/timing.py; checked at start-up) ---------------
# soft limit < hard limit < broker visibility timeout < hold TTL < stuck-after; a running
# ticket's lease is renewed every third of it and the recovery sweep runs more often than a
# lease lasts. `manage.py check` refuses a set that breaks the order.
TICKETS_TASK_SOFT_TIME_LIMIT = env.int("TICKETS_TASK_SOFT_TIME_LIMIT", default=240)
TICKETS_TASK_TIME_LIMIT = env.int("TICKETS_TASK_TIME_LIMIT", default=270)
TICKETS_RUN_LEASE_SECONDS = env.int("TICKETS_RUN_LEASE_SECONDS", default=30)
TICKETS_SWEEP_SECONDS = env.int("TICKETS_SWEEP_SECONDS", default=10)
TICKETS_HOLD_TTL_SECONDS = env.int("TICKETS_HOLD_TTL_SECONDS", default=600)
# Rate limits (requests per minute, a fixed window in Redis: accounts/ratelimit.py). Per API
# key, and per workspace (a plan may raise the workspace's: SubscriptionPlan.api_requests_per_
# minute); the web generator's submits per person or visitor.
API_RATE_LIMIT_KEY = env.int("API_RATE_LIMIT_KEY", default=120)
API_RATE_LIMIT_WORKSPACE = env.int("API_RATE_LIMIT_WORKSPACE", default=300)
GENERATE_RATE_LIMIT = env.int("GENERATE_RATE_LIMIT", default=20)
# The generator's duplicate check (tickets/views/similar.py): checks a minute per person or
# address. Typing sends one per pause (600 ms debounce); a submit counts one more.
SIMILAR_RATE_LIMIT = env.int("SIMILAR_RATE_LIMIT", default=60)
# CSV batches (tickets/batches): rows in one file, and rows generating at once per batch.
BATCH_MAX_ROWS = env.int("BATCH_MAX_ROWS", default=500)
BATCH_CONCURRENCY = env.int("BATCH_CONCURRENCY", default=4)
TICKETS_STUCK_AFTER_SECONDS = env.int("TICKETS_STUCK_AFTER_SECONDS", default=900)

# --- Cache, Celery --------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.PooledClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "myba",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Sessions are read on every signed-in request: from Redis, the database on a miss (and
    # always written to both, so nothing is lost when Redis restarts).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    # No broker: run tasks inline, still after the transaction commits (on_commit).
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
# Rendered page fragments whose key names everything they show (a ticket row, the home page's
# body, a dashboard snapshot's charts): never stale, so each process keeps its own, with no
# round trip to Redis and nothing to invalidate.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 20000},
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
}
CELERY_TIMEZONE = "UTC"

# --- Periodic jobs: the whole Celery beat schedule ------------------------------------------
# The overview's figures are kept this long in the cache (0: computed on every load); beat
# recomputes the preset ranges a little more often, so staff seldom wait for a computation.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)
# The overview reads its growing figures from daily rollups kept by PostgreSQL triggers
# (admin_dashboard.rollups); off reads the raw tables (slower, same figures). Beat folds the
# rollups' delta rows every DASHBOARD_ROLLUP_COMPACT_SECONDS.
DASHBOARD_ROLLUPS = env.bool("DASHBOARD_ROLLUPS", default=True)
DASHBOARD_ROLLUP_COMPACT_SECONDS = env.int("DASHBOARD_ROLLUP_COMPACT_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    # Abandoned holds (a crashed worker) give their tokens back within a minute or two.
    "tokens-release-expired-holds": {
        "task": "tokens.tasks.release_expired_holds_task",
        "schedule": 60.0,
    },
    "tokens-expire-lots": {"task": "tokens.tasks.expire_lots_task", "schedule": 3600.0},
    "gifts-return-unclaimed": {"task": "gifts.tasks.return_unclaimed_gifts_task",
                               "schedule": 3600.0},
    # Runways under a week and tokens expiring within a week: one alert each (keyed).
    "accounts-token-alerts": {
        "task": "accounts.check_token_alerts",
        "schedule": crontab(hour=8, minute=5),
    },
    # Nightly proof that balances agree with the ledger; the result is shown on the dashboard.
    "tokens-nightly-audit": {
        "task": "tokens.tasks.ledger_audit_task",
        "schedule": crontab(hour=3, minute=17),
    },
    # Generations whose worker died are sent to another worker, or given up and released.
    "tickets-sweep-stuck": {
        "task": "tickets.sweep_stuck_tickets",
        "schedule": float(TICKETS_SWEEP_SECONDS),
    },
    # Yearly plans grant their allowance month by month (months 2-12, keyed per invoice).
    "billing-grant-due-allowances": {
        "task": "billing.tasks.grant_due_allowances_task",
        "schedule": 3600.0,
    },
    # Stripe webhook deliveries whose processing failed are retried with backoff.
    "billing-retry-failed-webhooks": {
        "task": "billing.tasks.retry_failed_webhooks_task",
        "schedule": 60.0,
    },
    # The overview's rollups: each key's delta rows folded into one (reads stay small).
    "dashboard-compact-rollups": {
        "task": "admin_dashboard.tasks.compact_rollups_task",
        "schedule": float(DASHBOARD_ROLLUP_COMPACT_SECONDS),
    },
    **(
        {
            "dashboard-refresh-overview": {
                "task": "admin_dashboard.tasks.refresh_overview_task",
                "schedule": max(30.0, DASHBOARD_CACHE_SECONDS * 0.8),
            }
        }
        if DASHBOARD_CACHE_SECONDS > 0
        else {}
    ),
}

# --- Auth (django-allauth) ------------------------------------------------------------------
# The staff dashboard (/dashboard/) and the Django admin (/admin/) need staff with MFA;
# `make run` (DEBUG on) lets the printed demo staff in without enrolling an authenticator.
DASHBOARD_REQUIRE_MFA = env.bool("DASHBOARD_REQUIRE_MFA", default=not DEBUG)
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
# …but at most one write per session and client this often (accounts.middleware).
USERSESSIONS_TRACK_SECONDS = env.int("USERSESSIONS_TRACK_SECONDS", default=300)
# No ACCOUNT_EMAIL_SUBJECT_PREFIX: allauth then prefixes "[<site name>] ", i.e. SITE_NAME.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
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
# A provider with no OAuth app answers 404 on its login and callback URLs, not 500.
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# OAuth apps from the environment (<PROVIDER>_CLIENT_ID and <PROVIDER>_CLIENT_SECRET); a
# provider with neither these nor a SocialApp row in the admin shows no button.
_OAUTH_PROVIDERS: dict[str, dict] = {
    "google": {},
    "github": {},
    "gitlab": {},
    "atlassian": {},
    "microsoft": {"TENANT": env.str("MICROSOFT_TENANT", default="common")},
}
SOCIALACCOUNT_PROVIDERS: dict = {}
for _provider, _settings in _OAUTH_PROVIDERS.items():
    _client_id = env.str(f"{_provider.upper()}_CLIENT_ID", default="")
    _secret = os.environ.get(f"{_provider.upper()}_CLIENT_SECRET", "")
    if _client_id and _secret:
        _settings["APPS"] = [{"client_id": _client_id, "secret": _secret}]
    SOCIALACCOUNT_PROVIDERS[_provider] = _settings
if env.str("GITLAB_URL", default=""):
    SOCIALACCOUNT_PROVIDERS["gitlab"]["GITLAB_URL"] = env.str("GITLAB_URL")

# --- Free tokens ----------------------------------------------------------------------------
VISITOR_FREE_TOKENS = 3
VISITOR_GRANTS_PER_NETWORK_PER_DAY = env.int("VISITOR_GRANTS_PER_NETWORK_PER_DAY", default=3)
WELCOME_TOKENS = 6
VISITOR_COOKIE_NAME = "myba_visitor"
# The header a trusted reverse proxy sets to the client address (e.g. X-Forwarded-For);
# empty means REMOTE_ADDR, because any client can send such a header itself.
TRUSTED_PROXY_IP_HEADER = env.str("TRUSTED_PROXY_IP_HEADER", default="")

# --- Growth: the daily bonus (bonuses/) -----------------------------------------------------
DAILY_BONUS_ENABLED = env.bool("DAILY_BONUS_ENABLED", default=True)
DAILY_BONUS_TOKENS = env.int("DAILY_BONUS_TOKENS", default=2)
DAILY_BONUS_EXPIRY_DAYS = env.int("DAILY_BONUS_EXPIRY_DAYS", default=7)

# --- Growth: referrals (referrals/) ---------------------------------------------------------
REFERRAL_REFEREE_BONUS = env.int("REFERRAL_REFEREE_BONUS", default=5)
REFERRAL_REFERRER_REWARD = env.int("REFERRAL_REFERRER_REWARD", default=10)
REFERRAL_REWARD_EXPIRY_DAYS = env.int("REFERRAL_REWARD_EXPIRY_DAYS", default=90)
# A referee qualifies with a verified email and a first purchase or this many tickets.
REFERRAL_QUALIFY_TICKETS = env.int("REFERRAL_QUALIFY_TICKETS", default=3)
REFERRAL_MONTHLY_CAP = env.int("REFERRAL_MONTHLY_CAP", default=10)
REFERRAL_SAME_NETWORK_HOURS = env.int("REFERRAL_SAME_NETWORK_HOURS", default=72)
# Qualified referrals in a calendar month : bonus tokens, granted once per tier and month.
REFERRAL_TIERS = [tuple(int(n) for n in tier.split(":")) for tier in
                  env.list("REFERRAL_TIERS", default=["5:20", "20:100"])]

# --- Growth: gifts (gifts/) -----------------------------------------------------------------
GIFT_MIN_TOKENS = env.int("GIFT_MIN_TOKENS", default=1)
GIFT_MAX_TOKENS = env.int("GIFT_MAX_TOKENS", default=100)
GIFT_DAILY_LIMIT = env.int("GIFT_DAILY_LIMIT", default=5)
GIFT_MIN_ACCOUNT_AGE_DAYS = env.int("GIFT_MIN_ACCOUNT_AGE_DAYS", default=1)
GIFT_RETURN_DAYS = env.int("GIFT_RETURN_DAYS", default=30)

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="MyBA <no-reply@myba.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)

# --- Stripe (dj-stripe) and LLM -------------------------------------------------------------
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
STRIPE_LIVE_SECRET_KEY = os.environ.get("STRIPE_LIVE_SECRET_KEY", "")
STRIPE_TEST_SECRET_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
# Billing: the first purchase of each user is this much off (a Stripe coupon; 0 turns it off).
BILLING_FIRST_PURCHASE_DISCOUNT_PERCENT = env.int(
    "BILLING_FIRST_PURCHASE_DISCOUNT_PERCENT", default=20
)
OPENROUTER_API_KEY = os.environ.get("OPENROUTER_API_KEY", "")
OPENROUTER_BASE_URL = env.str("OPENROUTER_BASE_URL", default="https://openrouter.ai/api/v1")
# Ticket generation: each quality has a model and a fallback list, tried in order.
OPENROUTER_MODEL_STANDARD = env.str("OPENROUTER_MODEL_STANDARD", default="openai/gpt-oss-20b")
OPENROUTER_MODEL_ADVANCED = env.str("OPENROUTER_MODEL_ADVANCED", default="openai/gpt-oss-120b")
OPENROUTER_FALLBACKS_STANDARD = env.list(
    "OPENROUTER_FALLBACKS_STANDARD", cast=str.strip, default=["meta-llama/llama-3.3-70b-instruct"]
)
OPENROUTER_FALLBACKS_ADVANCED = env.list(
    "OPENROUTER_FALLBACKS_ADVANCED",
    cast=str.strip,
    default=["anthropic/claude-3.5-haiku", "openai/gpt-oss-20b"],
)
OPENROUTER_CONNECT_TIMEOUT = env.float("OPENROUTER_CONNECT_TIMEOUT", default=5.0)
OPENROUTER_READ_TIMEOUT = env.float("OPENROUTER_READ_TIMEOUT", default=60.0)
OPENROUTER_MAX_RETRIES = env.int("OPENROUTER_MAX_RETRIES", default=2)
OPENROUTER_BACKOFF_SECONDS = env.float("OPENROUTER_BACKOFF_SECONDS", default=1.0)
OPENROUTER_RETRY_AFTER_MAX = env.float("OPENROUTER_RETRY_AFTER_MAX", default=10.0)
# When every model fails, write a Standard ticket with the offline generator instead of failing.
TICKETS_OFFLINE_FALLBACK = env.bool("TICKETS_OFFLINE_FALLBACK", default=False)

# --- Static files, i18n ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production (after collectstatic); plain files otherwise.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
LANGUAGE_CODE = "en"
# The interface's languages: English, Spanish, French, German, and Arabic (right to left).
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("TRUST_X_FORWARDED_PROTO", default=False)
    else None
)
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Preload lists are baked into browsers and take months to leave: asking for it is a
# commitment (HTTPS for every subdomain, for good) that only the deployer can make.
# `check --deploy` says so (security.W021) until they do.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
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
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
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

# --- Secrets at rest and outgoing webhooks (config/encryption.py, accounts/webhooks/) -------
# MYBA_ENCRYPTION_KEYS: comma-separated Fernet keys; the first encrypts, all decrypt (rotate:
# add a new key first, `manage.py rotate_encryption`, then drop the old one). Unset is allowed
# only with DEBUG on or in the test suite: a key is then derived from SECRET_KEY.
_TESTING = os.environ.get("DJANGO_SETTINGS_MODULE") == "config.test_settings"


def _encryption_keys() -> list[str]:
    keys = [key.strip() for key in os.environ.get("MYBA_ENCRYPTION_KEYS", "").split(",")
            if key.strip()]
    if not keys and not (DEBUG or _TESTING):
        raise ImproperlyConfigured(
            "MYBA_ENCRYPTION_KEYS is not set. Production (DEBUG off) refuses to start without "
            "it: generate a key with `python -c \"from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())\"`, or set DEBUG=1 for local development."
        )
    from cryptography.fernet import Fernet

    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ImproperlyConfigured(
                f"MYBA_ENCRYPTION_KEYS: key {number} is not a Fernet key (32 url-safe "
                "base64-encoded bytes)."
            ) from None
    return keys


ENCRYPTION_KEYS = _encryption_keys()
# Webhook URLs must be https; plain http to 127.0.0.1/localhost is allowed with DEBUG on or
# this set (tests, a local receiver). Private and loopback addresses are refused otherwise.
WEBHOOKS_ALLOW_HTTP_LOCALHOST = env.bool("WEBHOOKS_ALLOW_HTTP_LOCALHOST", default=False)
# Seconds to wait before each retry of a delivery that failed (the attempt count is one more
# than the list is long); a receiver's Retry-After (429/503) is honoured up to the cap.
WEBHOOKS_RETRY_DELAYS = [float(delay) for delay in env.list(
    "WEBHOOKS_RETRY_DELAYS", default=["30", "120", "600", "3600", "21600"])]
WEBHOOKS_RETRY_AFTER_MAX = env.float("WEBHOOKS_RETRY_AFTER_MAX", default=21600.0)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
# Deliveries whose worker died mid-send, and retries too far ahead for a broker countdown.
CELERY_BEAT_SCHEDULE["accounts-webhooks-sweep"] = {
    "task": "accounts.webhooks.sweep_deliveries",
    "schedule": 30.0,
}

# --- Integrations: GitHub, GitLab, Jira and Slack (integrations/) -----------------------------
# Read timeout of every call to a tracker; a timed-out create is looked for before a retry.
INTEGRATIONS_TIMEOUT_SECONDS = env.float("INTEGRATIONS_TIMEOUT_SECONDS", default=20.0)
# Seconds before each retry of a push that failed for a passing reason (timeout, 429, 5xx);
# the tracker's Retry-After wins when longer, up to PUSH_RETRY_AFTER_MAX.
PUSH_RETRY_DELAYS = [float(delay) for delay in env.list(
    "PUSH_RETRY_DELAYS", default=["5", "30", "120", "600", "1800"])]
PUSH_RETRY_AFTER_MAX = env.float("PUSH_RETRY_AFTER_MAX", default=3600.0)
# Refresh an OAuth/installation token this long before it expires.
INTEGRATIONS_REFRESH_MARGIN_SECONDS = env.int("INTEGRATIONS_REFRESH_MARGIN_SECONDS", default=300)
# GitHub: the API root (GitHub Enterprise: https://HOST/api/v3) and the GitHub App that
# repositories are connected through (fine-grained personal access tokens work without it).
GITHUB_API_URL = env.str("GITHUB_API_URL", default="https://api.github.com")
GITHUB_WEB_URL = env.str("GITHUB_WEB_URL", default="https://github.com")
GITHUB_APP_ID = env.str("GITHUB_APP_ID", default="")
GITHUB_APP_SLUG = env.str("GITHUB_APP_SLUG", default="")
GITHUB_APP_PRIVATE_KEY = env.str("GITHUB_APP_PRIVATE_KEY", default="", multiline=True)
# The app's OAuth client ("Request user authorization (OAuth) during installation" on): the
# page GitHub sends the browser back to checks that this person can see the installation
# named in the redirect, which anyone could otherwise edit into someone else's.
GITHUB_APP_CLIENT_ID = env.str("GITHUB_APP_CLIENT_ID", default="")
GITHUB_APP_CLIENT_SECRET = env.str("GITHUB_APP_CLIENT_SECRET", default="")
# GitLab: the default instance, and the OAuth application for "Connect with GitLab" (scope
# `api`); project access tokens work without it, on any instance.
GITLAB_URL = env.str("GITLAB_URL", default="https://gitlab.com")
GITLAB_OAUTH_CLIENT_ID = env.str("GITLAB_OAUTH_CLIENT_ID", default="")
GITLAB_OAUTH_CLIENT_SECRET = env.str("GITLAB_OAUTH_CLIENT_SECRET", default="")
# Jira Cloud: the Atlassian OAuth 2.0 (3LO) app, and Atlassian's endpoints (fakes in tests).
ATLASSIAN_CLIENT_ID = env.str("ATLASSIAN_CLIENT_ID", default="")
ATLASSIAN_CLIENT_SECRET = env.str("ATLASSIAN_CLIENT_SECRET", default="")
ATLASSIAN_AUTH_URL = env.str("ATLASSIAN_AUTH_URL", default="https://auth.atlassian.com")
ATLASSIAN_API_URL = env.str("ATLASSIAN_API_URL", default="https://api.atlassian.com")
# Slack: the app's signing secret (verifies every request from Slack), its bot token (posts
# results) and Slack's Web API root (a fake in tests).
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api")
# Slack messages whose task was lost or whose worker died, and retries too far ahead.
CELERY_BEAT_SCHEDULE["integrations-slack-sweep-posts"] = {
    "task": "integrations.slack.sweep_posts",
    "schedule": 30.0,
}
# `make run` serves local fakes of GitHub, GitLab, Jira and Slack (manage.py run_local_fakes)
# on LOCAL_FAKES_PORT and the three after it, and turns this on to send everything there.
LOCAL_FAKES = DEBUG and env.bool("LOCAL_FAKES", default=False)
LOCAL_FAKES_PORT = env.int("LOCAL_FAKES_PORT", default=8101)
if LOCAL_FAKES:
    _fake = "http://127.0.0.1:{}".format
    GITHUB_API_URL = GITHUB_WEB_URL = _fake(LOCAL_FAKES_PORT)
    GITLAB_URL = _fake(LOCAL_FAKES_PORT + 1)
    GITLAB_OAUTH_CLIENT_ID = GITLAB_OAUTH_CLIENT_SECRET = "local-fake"  # noqa: S105 - the fake's
    ATLASSIAN_AUTH_URL = ATLASSIAN_API_URL = _fake(LOCAL_FAKES_PORT + 2)
    ATLASSIAN_CLIENT_ID = ATLASSIAN_CLIENT_SECRET = "local-fake"  # noqa: S105 - the fake's
    SLACK_API_URL = _fake(LOCAL_FAKES_PORT + 3) + "/api"
    SLACK_SIGNING_SECRET = SLACK_SIGNING_SECRET or "local-fake-signing-secret"
    SLACK_BOT_TOKEN = SLACK_BOT_TOKEN or "xoxb-local-fake"
# Pushes whose worker died mid-send, and retries too far ahead for a broker countdown.
CELERY_BEAT_SCHEDULE["integrations-sweep-pushes"] = {
    "task": "integrations.sweep_pushes",
    "schedule": 30.0,
}
