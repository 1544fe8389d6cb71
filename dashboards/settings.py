"""Where Superset's pieces live and how they are configured, from the environment.

Standard library only: this module is imported by the Superset process (through ``superset_config.py``), by the
serve entry point (both in ``.venv-superset``) and by the tests (in the warehouse ``.venv``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import CrmwhError

REPO_ROOT = Path(__file__).resolve().parent.parent
SUPERSET_VENV = REPO_ROOT / ".venv-superset"
CONFIG_FILE = Path(__file__).resolve().parent / "superset_config.py"

ENV_PROFILE = "CRMWH_SUPERSET_PROFILE"
ENV_PORT = "CRMWH_SUPERSET_PORT"
ENV_ADMIN_USER = "CRMWH_SUPERSET_ADMIN_USER"
ENV_ADMIN_PASSWORD = "CRMWH_SUPERSET_ADMIN_PASSWORD"
ENV_HOME = "CRMWH_SUPERSET_HOME"
ENV_SECRETS_DIR = "CRMWH_SECRETS_DIR"
ENV_METADATA_URI = "CRMWH_SUPERSET_METADATA_URI"
ENV_REDIS_URL = "CRMWH_SUPERSET_REDIS_URL"
ENV_LOCALE = "CRMWH_SUPERSET_LOCALE"
ENV_WORKERS = "CRMWH_SUPERSET_WORKERS"
ENV_THREADS = "CRMWH_SUPERSET_THREADS"
ENV_WAREHOUSE = "CRMWH_WAREHOUSE"
ENV_BRANCH_MANAGERS = "CRMWH_BRANCH_MANAGERS"
ENV_LOGIN_RATE_LIMIT = "CRMWH_SUPERSET_LOGIN_RATE_LIMIT"
# Outgoing mail of Alerts & Reports (production profile). The defaults reach the demo mail sink (`crmwh mailsink`).
ENV_SMTP_HOST = "CRMWH_SMTP_HOST"
ENV_SMTP_PORT = "CRMWH_SMTP_PORT"
ENV_SMTP_USER = "CRMWH_SMTP_USER"
ENV_SMTP_PASSWORD = "CRMWH_SMTP_PASSWORD"
ENV_SMTP_STARTTLS = "CRMWH_SMTP_STARTTLS"
ENV_SMTP_SSL = "CRMWH_SMTP_SSL"
ENV_SMTP_FROM = "CRMWH_SMTP_FROM"
ENV_REPORTS_DIR = "CRMWH_REPORTS_DIR"
ENV_DATA_ENGINEERING_EMAIL = "CRMWH_DATA_ENGINEERING_EMAIL"

PROFILES = ("embedded", "production")
DEFAULT_PORT = 8088
DEFAULT_ADMIN_USER = "admin"
DEFAULT_METADATA_URI = "postgresql+psycopg2://postgres@127.0.0.1:5432/crmwh_superset"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_SMTP_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 8025
DEFAULT_SMTP_FROM = "crmwh-reports@localhost"
DEFAULT_DATA_ENGINEERING_EMAIL = "data-engineering@localhost"
REPORTS_TIMEZONE = "Asia/Shanghai"
LOCALES = ("zh", "en")

# The warehouse's Superset database is addressed by a fixed UUID so that exported assets (datasets, charts) always
# point at it, whatever id the metadata database gives it.
WAREHOUSE_DATABASE_NAME = "crmwh"
WAREHOUSE_DATABASE_UUID = uuid.uuid5(uuid.NAMESPACE_URL, "crmwh:superset:database:warehouse")

SECRETS_FILE_NAME = "superset.json"

# Failed logins allowed per client address before every login from it is refused for the rest of the window.
DEFAULT_LOGIN_RATE_LIMIT = "10 per minute"

# Every DuckDB connection Superset opens gets exactly this configuration, applied by DuckDB when the database opens,
# before any statement runs: no file outside the warehouse can be read or written (COPY, read_csv, read_text, glob,
# ATTACH, extensions), Python objects are not scanned as tables, and then the configuration is locked so that no
# statement can turn any of it back on. Insertion order is the order of the sentence above.
DUCKDB_CONNECT_CONFIG: dict[str, object] = {
    "enable_external_access": False,
    "python_enable_replacements": False,
    "lock_configuration": True,
}
# Configuration keys a database's ``extra`` may still set (Superset adds its user agent); anything else there, such as
# ``allowed_directories`` (which would reopen files), is dropped.
DUCKDB_EXTRA_CONFIG_KEYS = frozenset({"custom_user_agent", "memory_limit", "threads"})

# The schemas every Superset role may query: the modelled layers. ``raw`` (the extracts as delivered, PII included),
# ``audit`` (rejected rows) and ``restricted_pii`` -- and any schema not listed here -- are reachable only with the
# data-engineer role.
SERVED_SCHEMAS = frozenset(
    {"main", "marts", "quality", "intermediate", "snapshots", "staging", "seeds", "information_schema", "pg_catalog"}
)
RESTRICTED_SCHEMAS = ("raw", "audit", "restricted_pii")


class SettingsError(CrmwhError, ValueError):
    """A Superset setting from the environment is unusable."""


@dataclass(frozen=True)
class Secrets:
    secret_key: str
    admin_password: str


def profile() -> str:
    value = os.environ.get(ENV_PROFILE, "embedded").strip().lower() or "embedded"
    if value not in PROFILES:
        raise SettingsError(f"{ENV_PROFILE}={value!r}: expected one of {', '.join(PROFILES)}")
    return value


def port() -> int:
    raw = os.environ.get(ENV_PORT, "").strip()
    if not raw:
        return DEFAULT_PORT
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{ENV_PORT}={raw!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise SettingsError(f"{ENV_PORT}={raw!r} is outside 1..65535")
    return value


def _positive_int(env: str, default: int) -> int:
    raw = os.environ.get(env, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{env}={raw!r} must be a positive integer")
    return int(raw)


def workers() -> int:
    # Embedded keeps one process so its in-process cache stays coherent; production scales by process.
    return _positive_int(ENV_WORKERS, 1 if profile() == "embedded" else 2)


def threads() -> int:
    return _positive_int(ENV_THREADS, 8 if profile() == "embedded" else 4)


def locale() -> str:
    value = os.environ.get(ENV_LOCALE, "zh").strip() or "zh"
    if value not in LOCALES:
        raise SettingsError(f"{ENV_LOCALE}={value!r}: expected one of {', '.join(LOCALES)}")
    return value


def superset_python() -> Path:
    """The interpreter of Superset's virtualenv (``scripts/superset_setup.sh`` builds it)."""
    return Path(os.environ.get("CRMWH_SUPERSET_VENV") or SUPERSET_VENV) / "bin" / "python"


def home_dir() -> Path:
    """Superset's own state (embedded metadata database, logs): never the warehouse."""
    return Path(os.environ.get(ENV_HOME) or REPO_ROOT / "var" / "superset").resolve()


def secrets_dir() -> Path:
    return Path(os.environ.get(ENV_SECRETS_DIR) or REPO_ROOT / ".secrets").resolve()


def secrets_file() -> Path:
    return secrets_dir() / SECRETS_FILE_NAME


def warehouse_path() -> Path:
    return Path(os.environ.get(ENV_WAREHOUSE) or REPO_ROOT / "var" / "warehouse" / "crmwh.duckdb").absolute()


def warehouse_uri() -> str:
    return f"duckdb:///{warehouse_path()}"


def current_warehouse_file(database: str) -> str:
    """The file a DuckDB database path stands for now: builds publish each warehouse under its own name and swing the
    served path (a symbolic link) to it, so that a connection opened after a swap is a new database in DuckDB's
    per-path cache, never the previous file under the same name (crmwh/publish.py says why)."""
    return os.path.realpath(database) if database and os.path.islink(database) else database


def login_rate_limit() -> str:
    """Failed logins per client address, in Flask-Limiter's notation (``10 per minute``, ``5/minute;50/day``)."""
    value = os.environ.get(ENV_LOGIN_RATE_LIMIT, "").strip() or DEFAULT_LOGIN_RATE_LIMIT
    item = r"\s*\d+\s*(?:/|per)\s*(?:\d+\s*)?(?:second|minute|hour|day|month|year)s?\s*"
    if not re.fullmatch(f"{item}(?:[;,]{item})*", value):
        raise SettingsError(f"{ENV_LOGIN_RATE_LIMIT}={value!r}: expected e.g. '10 per minute' or '5/minute;50/day'")
    return value


def duckdb_connect_args(connect_args: dict[str, object] | None = None) -> dict[str, object]:
    """The arguments of every DuckDB connection Superset opens, whatever a database's ``extra`` asks for: read-only,
    with :data:`DUCKDB_CONNECT_CONFIG`; of the given ones only :data:`DUCKDB_EXTRA_CONFIG_KEYS` survive."""
    given = (connect_args or {}).get("config")
    extra = {k: v for k, v in given.items() if k in DUCKDB_EXTRA_CONFIG_KEYS} if isinstance(given, dict) else {}
    config = {k: v for k, v in DUCKDB_CONNECT_CONFIG.items() if k != "lock_configuration"}
    config.update(extra)
    config["lock_configuration"] = True  # last: nothing after it may change the configuration
    return {"read_only": True, "config": config}


def metadata_uri() -> str:
    if profile() == "production":
        return os.environ.get(ENV_METADATA_URI) or DEFAULT_METADATA_URI
    return f"sqlite:///{home_dir() / 'superset.db'}"


def redis_url() -> str:
    return os.environ.get(ENV_REDIS_URL) or DEFAULT_REDIS_URL


def admin_user() -> str:
    return os.environ.get(ENV_ADMIN_USER, "").strip() or DEFAULT_ADMIN_USER


def load_secrets() -> Secrets:
    """Read the generated secrets; the Superset process calls this and must not invent new ones."""
    path = secrets_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path} is missing: start Superset through `make serve` so it is generated") from None
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{path} is not valid JSON ({exc}); delete it to generate new secrets") from None
    try:
        return Secrets(secret_key=str(data["secret_key"]), admin_password=str(data["admin_password"]))
    except KeyError as exc:
        raise SettingsError(f"{path} lacks {exc.args[0]!r}; delete it to generate new secrets") from None


def ensure_secrets() -> tuple[Secrets, bool]:
    """Return the stored secrets, generating them on first use. The flag says whether they were just generated."""
    path = secrets_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Owner only, also for a folder or file made by an earlier version or by hand (mkdir's mode obeys the umask).
    os.chmod(path.parent, 0o700)
    if path.exists():
        os.chmod(path, 0o600)
        return load_secrets(), False
    fresh = Secrets(secret_key=secrets.token_urlsafe(48), admin_password=secrets.token_urlsafe(12))
    # Created 0600 from the start so the password is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"secret_key": fresh.secret_key, "admin_password": fresh.admin_password}, handle, indent=2)
        handle.write("\n")
    return fresh, True


def admin_password(stored: Secrets) -> str:
    """The environment's password when set, else the generated one."""
    return os.environ.get(ENV_ADMIN_PASSWORD) or stored.admin_password


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    ssl: bool
    mail_from: str


def _flag(env: str, default: bool) -> bool:
    raw = os.environ.get(env, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{env}={raw!r}: expected true or false")


def smtp() -> Smtp:
    """The mail server reports are sent through, from the environment (no credentials are ever stored in the repo)."""
    raw_port = os.environ.get(ENV_SMTP_PORT, "").strip()
    if raw_port and not (raw_port.isdigit() and 1 <= int(raw_port) <= 65535):
        raise SettingsError(f"{ENV_SMTP_PORT}={raw_port!r} is not a port number")
    return Smtp(
        host=os.environ.get(ENV_SMTP_HOST, "").strip() or DEFAULT_SMTP_HOST,
        port=int(raw_port) if raw_port else DEFAULT_SMTP_PORT,
        user=os.environ.get(ENV_SMTP_USER) or None,
        password=os.environ.get(ENV_SMTP_PASSWORD) or None,
        starttls=_flag(ENV_SMTP_STARTTLS, False),
        ssl=_flag(ENV_SMTP_SSL, False),
        mail_from=os.environ.get(ENV_SMTP_FROM, "").strip() or DEFAULT_SMTP_FROM,
    )


def reports_dir() -> Path:
    """The reports and alerts as code (``dashboards/reports/*.yaml``), loaded by bootstrap in the production profile."""
    return Path(os.environ.get(ENV_REPORTS_DIR) or Path(__file__).resolve().parent / "reports").resolve()


def data_engineering_email() -> str:
    return os.environ.get(ENV_DATA_ENGINEERING_EMAIL, "").strip() or DEFAULT_DATA_ENGINEERING_EMAIL


def outbox_dir() -> Path:
    """Where the demo mail sink writes each delivered message as an .eml file."""
    return REPO_ROOT / "var" / "outbox"
