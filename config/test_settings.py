"""Settings for the test suite: test-run defaults (the environment may override), then the
real settings module, so tests run the configuration production runs."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("WHITENOISE_USE_FINDERS", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

# Each xdist worker gets its own Redis database (the cache, rate limits and Celery's queues)
# so nothing crosses between workers; pytest-django gives each its own PostgreSQL database.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("REDIS_URL"):
    _redis_db = int(_worker.removeprefix("gw")) + 1
    if _redis_db > 15:
        raise RuntimeError(
            f"xdist worker {_worker} has no Redis database of its own: Redis has 16 (0 to 15); "
            "run at most 15 workers (PYTEST_WORKERS)."
        )
    _base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    os.environ["REDIS_URL"] = f"{_base}/{_redis_db}"

from config.settings import *  # noqa: E402,F403

# Hashing passwords at production strength only slows the suite down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
