"""Superset configuration for the CRM warehouse, loaded by Superset through ``SUPERSET_CONFIG_PATH``.

Every value comes from ``dashboards.settings`` (environment variables, generated secrets), so this file holds no
secret and no machine-specific path. Two profiles, chosen by ``CRMWH_SUPERSET_PROFILE``:

* ``embedded`` (default): SQLite metadata under ``var/superset/``, in-process cache, no Celery, no Redis.
* ``production``: PostgreSQL metadata, Redis caches, Celery (broker and results in Redis) for Alerts & Reports.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path

# Superset loads this file by path, not as part of a package, so the repository root may not be importable yet.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from celery.schedules import crontab  # noqa: E402

from dashboards import settings as _settings  # noqa: E402
from dashboards.security_manager import CrmwhSecurityManager  # noqa: E402

_PROFILE = _settings.profile()
_PORT = _settings.port()
_SECRETS = _settings.load_secrets()

SECRET_KEY = _SECRETS.secret_key
SQLALCHEMY_DATABASE_URI = _settings.metadata_uri()
DATA_DIR = str(_settings.home_dir())
UPLOAD_FOLDER = str(_settings.home_dir() / "uploads")
APP_NAME = "银行 CRM 分析"

# Chinese first; English stays one click away in the language menu.
BABEL_DEFAULT_LOCALE = _settings.locale()
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "us", "name": "English"},
}
D3_FORMAT = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]}
CURRENCIES = ["CNY", "USD", "EUR", "HKD"]

# The console of `make serve` shows warnings and errors; every request is in var/superset/access.log.
LOG_LEVEL = logging.WARNING

SUPERSET_WEBSERVER_PORT = _PORT
SUPERSET_WEBSERVER_TIMEOUT = int(timedelta(minutes=2).total_seconds())
SQLLAB_TIMEOUT = int(timedelta(minutes=2).total_seconds())

FEATURE_FLAGS = {
    "DRILL_BY": True,
    "DRILL_TO_DETAIL": True,
    "DASHBOARD_VIRTUALIZATION": True,
    "ALERT_REPORTS": _PROFILE == "production",
    "ENABLE_TEMPLATE_PROCESSING": False,
}

# Chart results are never cached: the warehouse is replaced atomically by each build, and a cached result from the
# previous file would outlive the swap. DuckDB answers the cube queries in milliseconds, so nothing is lost.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}


def DB_CONNECTION_MUTATOR(uri, params, username, security_manager, source):
    """Every DuckDB connection, whatever its database's ``extra`` says, opens read-only with external access off and
    the configuration locked (``settings.duckdb_connect_args``); the warehouse's opens the version served now (see
    ``settings.current_warehouse_file``)."""
    if uri.drivername == "duckdb":
        params = {**params, "connect_args": _settings.duckdb_connect_args(params.get("connect_args"))}
        if uri.database:
            uri = uri.set(database=_settings.current_warehouse_file(uri.database))
    return uri, params


# Roles, the schemas only the data engineer reaches, and failed-login rate limiting: dashboards/security_manager.py.
CUSTOM_SECURITY_MANAGER = CrmwhSecurityManager
# No connection to SQLite files or other local-file engines; no SQL subqueries hidden in chart expressions.
PREVENT_UNSAFE_DB_CONNECTIONS = True
ALLOW_ADHOC_SUBQUERY = False

# Failed logins per client address (the form and /api/v1/security/login alike); behind a reverse proxy, turn on
# ENABLE_PROXY_FIX so that the address is the client's, not the proxy's.
RATELIMIT_ENABLED = True
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = _settings.login_rate_limit()


# Headless Chromium from Debian, for reports and thumbnails (production profile).
WEBDRIVER_TYPE = "chrome"
WEBDRIVER_BASEURL = f"http://127.0.0.1:{_PORT}/"
WEBDRIVER_BASEURL_USER_FRIENDLY = WEBDRIVER_BASEURL
WEBDRIVER_OPTION_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Debian's chromium-driver finds Debian's /usr/bin/chromium itself. Superset passes every top-level key of this dict to
# the driver's constructor, so nothing but "options" and "service" may be here (a "binary_location" breaks it).
WEBDRIVER_CONFIGURATION = {
    "service": {"executable_path": "/usr/bin/chromedriver", "log_output": "/dev/null", "service_args": [], "port": 0},
}
WEBDRIVER_WINDOW = {"dashboard": (1600, 2000), "slice": (1200, 800), "pixel_density": 1}
# Generous: on a loaded machine the dashboard page itself can take a minute to appear.
SCREENSHOT_LOCATE_WAIT = int(timedelta(minutes=2).total_seconds())
SCREENSHOT_LOAD_WAIT = int(timedelta(minutes=2).total_seconds())
SCREENSHOT_SELENIUM_HEADSTART = 1
SCREENSHOT_SELENIUM_ANIMATION_WAIT = 2
# Screenshots and reports render as the admin unless a report's owner is the executor (ALERT_REPORTS_EXECUTORS keeps
# Superset's default: the owner, so a branch manager's report is rendered under their row-level security).
THUMBNAIL_SELENIUM_USER = _settings.admin_user()

if _PROFILE == "production":
    _REDIS_URL = _settings.redis_url()

    def _redis_cache(prefix: str, timeout: int) -> dict[str, object]:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": _REDIS_URL,
            "CACHE_KEY_PREFIX": prefix,
            "CACHE_DEFAULT_TIMEOUT": timeout,
        }

    CACHE_CONFIG = _redis_cache("crmwh_superset_", int(timedelta(days=1).total_seconds()))
    FILTER_STATE_CACHE_CONFIG = _redis_cache("crmwh_filter_", int(timedelta(days=90).total_seconds()))
    EXPLORE_FORM_DATA_CACHE_CONFIG = _redis_cache("crmwh_explore_", int(timedelta(days=7).total_seconds()))
    THUMBNAIL_CACHE_CONFIG = _redis_cache("crmwh_thumbnail_", int(timedelta(days=1).total_seconds()))
    RATELIMIT_STORAGE_URI = _REDIS_URL
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    from cachelib.redis import RedisCache as _RedisCache
    from redis import from_url as _redis_from_url

    RESULTS_BACKEND = _RedisCache(host=_redis_from_url(_REDIS_URL), key_prefix="crmwh_results_")

    class CeleryConfig:
        broker_url = _REDIS_URL
        result_backend = _REDIS_URL
        imports = ("superset.sql_lab", "superset.tasks.scheduler", "superset.tasks.thumbnails", "superset.tasks.cache")
        worker_prefetch_multiplier = 1
        task_acks_late = False
        beat_schedule = {  # noqa: RUF012
            "reports.scheduler": {"task": "reports.scheduler", "schedule": crontab(minute="*", hour="*")},
            "reports.prune_log": {"task": "reports.prune_log", "schedule": crontab(minute=0, hour=0)},
        }

    CELERY_CONFIG = CeleryConfig

    # Alerts & Reports: mail through the server the environment names (dashboards/settings.py, Smtp); schedules are
    # dashboards/reports/*.yaml, loaded by bootstrap (dashboards/schedules.py).
    _SMTP = _settings.smtp()
    SMTP_HOST = _SMTP.host
    SMTP_PORT = _SMTP.port
    SMTP_USER = _SMTP.user or ""
    SMTP_PASSWORD = _SMTP.password or ""
    SMTP_STARTTLS = _SMTP.starttls
    SMTP_SSL = _SMTP.ssl
    SMTP_SSL_SERVER_AUTH = _SMTP.ssl or _SMTP.starttls
    SMTP_MAIL_FROM = _SMTP.mail_from
    EMAIL_REPORTS_SUBJECT_PREFIX = "[银行 CRM] "
    EMAIL_REPORTS_CTA = "在 Superset 中查看"
    ALERT_REPORTS_NOTIFICATION_DRY_RUN = False
    # An alert's SQL that fails is tried again before the execution is logged as an error.
    ALERT_REPORTS_QUERY_EXECUTION_MAX_TRIES = 3
    ALERT_REPORTS_DEFAULT_WORKING_TIMEOUT = int(timedelta(minutes=10).total_seconds())

    def FLASK_APP_MUTATOR(app):
        """Dashboard PDFs printed by Chromium (A4, searchable text) instead of screenshots: dashboards/report_pdf.py."""
        from dashboards import report_pdf

        report_pdf.install()
else:
    CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": int(timedelta(days=1).total_seconds())}
    # One gunicorn process: its memory holds the login counters. Only logins are limited (production keeps
    # Superset's application-wide limit too).
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_APPLICATION = None
    # A single gunicorn process with threads writes the SQLite metadata (query log, event log); waiting for the
    # lock beats failing with "database is locked" under a burst of chart requests.
    SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    CELERY_CONFIG = None
