"""Superset serving settings, secrets, config profiles, serve commands and the setup script's idempotency (fast)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from dashboards import serve, settings

SUPERSET_PYTHON = settings.SUPERSET_VENV / "bin" / "python"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("CRMWH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv(settings.ENV_SECRETS_DIR, str(tmp_path / "secrets"))
    monkeypatch.setenv(settings.ENV_HOME, str(tmp_path / "home"))


def test_defaults() -> None:
    assert settings.profile() == "embedded"
    assert settings.port() == 8088
    assert settings.locale() == "zh"
    assert settings.admin_user() == "admin"
    assert settings.workers() == 1
    assert settings.warehouse_path() == settings.REPO_ROOT / "var" / "warehouse" / "crmwh.duckdb"
    assert settings.metadata_uri() == f"sqlite:///{settings.home_dir() / 'superset.db'}"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(settings.ENV_PORT, "18088")
    monkeypatch.setenv(settings.ENV_PROFILE, "Production")
    monkeypatch.setenv(settings.ENV_WAREHOUSE, str(tmp_path / "w.duckdb"))
    monkeypatch.setenv(settings.ENV_LOCALE, "en")
    assert settings.port() == 18088
    assert settings.profile() == "production"
    assert settings.workers() == 2
    assert settings.locale() == "en"
    assert settings.warehouse_uri() == f"duckdb:///{tmp_path / 'w.duckdb'}"
    assert settings.metadata_uri() == settings.DEFAULT_METADATA_URI
    monkeypatch.setenv(settings.ENV_METADATA_URI, "postgresql+psycopg2://u@h:1/x")
    assert settings.metadata_uri() == "postgresql+psycopg2://u@h:1/x"


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        (settings.ENV_PORT, "eighty", "not a port number"),
        (settings.ENV_PORT, "70000", "outside 1..65535"),
        (settings.ENV_PROFILE, "cluster", "expected one of embedded, production"),
        (settings.ENV_LOCALE, "fr", "expected one of zh, en"),
        (settings.ENV_WORKERS, "0", "positive integer"),
    ],
)
def test_bad_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str) -> None:
    monkeypatch.setenv(env, value)
    reader = {
        settings.ENV_PORT: settings.port,
        settings.ENV_PROFILE: settings.profile,
        settings.ENV_LOCALE: settings.locale,
        settings.ENV_WORKERS: settings.workers,
    }[env]
    with pytest.raises(settings.SettingsError, match=message) as caught:
        reader()
    assert env in str(caught.value)


def test_secrets_generated_once_private_and_stable(monkeypatch: pytest.MonkeyPatch) -> None:
    first, generated = settings.ensure_secrets()
    assert generated
    path = settings.secrets_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 40 and len(first.admin_password) >= 12
    again, generated_again = settings.ensure_secrets()
    assert (again, generated_again) == (first, False)
    assert settings.load_secrets() == first
    assert settings.admin_password(first) == first.admin_password
    monkeypatch.setenv(settings.ENV_ADMIN_PASSWORD, "from-the-environment")
    assert settings.admin_password(first) == "from-the-environment"
    assert settings.load_secrets() == first  # the override never rewrites the stored secret


def test_secrets_made_readable_by_hand_or_by_an_older_version_are_made_private_again() -> None:
    first, _ = settings.ensure_secrets()
    path = settings.secrets_file()
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o755)
    assert settings.ensure_secrets() == (first, False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is missing"),
        ("{not json", "not valid JSON"),
        (json.dumps({"secret_key": "k"}), "lacks 'admin_password'"),
    ],
)
def test_unusable_secrets_file_is_named(content: str | None, message: str) -> None:
    path = settings.secrets_file()
    if content is not None:
        path.parent.mkdir(parents=True)
        path.write_text(content, encoding="utf-8")
    with pytest.raises(settings.SettingsError, match=message) as caught:
        settings.load_secrets()
    assert str(path) in str(caught.value)


def test_warehouse_database_uuid_is_fixed() -> None:
    # Exported Superset assets (datasets, charts) reference the database by this UUID: changing it orphans them.
    assert str(settings.WAREHOUSE_DATABASE_UUID) == "f36b2914-eb75-541f-b275-bff5e3e9d89b"


def test_gunicorn_binds_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.ENV_PORT, "18099")
    monkeypatch.setenv(settings.ENV_THREADS, "3")
    monkeypatch.setattr(serve, "_bin", lambda name: f"/venv/bin/{name}")
    command = serve.gunicorn_command(settings.port())
    assert command[command.index("--bind") + 1] == "127.0.0.1:18099"
    assert command[command.index("--workers") + 1] == "1"
    assert command[command.index("--threads") + 1] == "3"
    assert "--no-control-socket" in command  # gunicorn 27's per-user default socket would clash between servers
    assert command[-1] == "superset.app:create_app()"


def test_child_environment_is_offline_and_points_at_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = serve.child_env()
    assert env["SUPERSET_CONFIG_PATH"] == str(settings.CONFIG_FILE)
    assert env["PYTHONPATH"].split(os.pathsep) == [str(settings.REPO_ROOT), "/elsewhere"]
    assert (env["SCARF_ANALYTICS"], env["SE_OFFLINE"], env["SE_AVOID_STATS"]) == ("False", "true", "true")
    assert "SUPERSET_ENV" not in env
    monkeypatch.setenv(settings.ENV_PROFILE, "production")
    assert serve.child_env()["SUPERSET_ENV"] == "production"


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(settings.ENV_PORT, "9000")
    # parse_args writes the flags into os.environ for the child; monkeypatch restores what it registered
    for name in (settings.ENV_PROFILE, settings.ENV_WAREHOUSE):
        monkeypatch.setenv(name, "")
    monkeypatch.chdir(tmp_path)
    serve.parse_args(["--port", "9100", "--profile", "production", "--warehouse", "w.duckdb"])
    assert settings.port() == 9100
    assert settings.profile() == "production"
    assert settings.warehouse_path() == tmp_path / "w.duckdb"
    with pytest.raises(SystemExit):
        serve.parse_args(["--profile", "cluster"])


def test_busy_port_is_refused_with_the_variable_to_change() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        with pytest.raises(serve.ServeError, match=settings.ENV_PORT):
            serve.check_port_free(held.getsockname()[1])


def test_setup_script_skips_when_the_lock_is_unchanged(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    superset = venv / "bin" / "superset"
    superset.write_text("#!/bin/sh\n", encoding="utf-8")
    superset.chmod(0o755)
    lock = settings.REPO_ROOT / "requirements" / "superset.lock"
    (venv / ".crmwh-lock.sha256").write_text(hashlib.sha256(lock.read_bytes()).hexdigest() + "\n", encoding="utf-8")
    done = subprocess.run(
        ["bash", str(settings.REPO_ROOT / "scripts" / "superset_setup.sh")],
        env={**os.environ, "CRMWH_SUPERSET_VENV": str(venv), "CRMWH_PYTHON": "/nonexistent/python"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout
    assert sorted(p.name for p in venv.iterdir()) == [".crmwh-lock.sha256", "bin"]


def test_lock_pins_every_package_exactly() -> None:
    lines = [
        line.strip()
        for line in (settings.REPO_ROOT / "requirements" / "superset.lock").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all("==" in line for line in lines), [line for line in lines if "==" not in line]
    pins = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1] for line in lines}
    assert pins["apache-superset"] == "6.1.0"
    assert pins["duckdb"] == "2.0.0"  # same file format as the warehouse's DuckDB
    assert pins["flask-caching"] == "2.3.1"
    assert int(pins["celery"].split(".")[1]) < 6 and int(pins["kombu"].split(".")[1]) < 6
    for needed in ("duckdb-engine", "rich", "cachetools", "gunicorn", "psycopg2-binary", "redis"):
        assert needed in pins


def _load_config(env: dict[str, str]) -> dict[str, object]:
    code = (
        "import json, runpy, sys\n"
        f"cfg = runpy.run_path({str(settings.CONFIG_FILE)!r})\n"
        "keys = ['SECRET_KEY', 'SQLALCHEMY_DATABASE_URI', 'BABEL_DEFAULT_LOCALE', 'LANGUAGES', 'DATA_CACHE_CONFIG',\n"
        "        'CACHE_CONFIG', 'EXPLORE_FORM_DATA_CACHE_CONFIG', 'FEATURE_FLAGS', 'SUPERSET_WEBSERVER_PORT']\n"
        "out = {k: cfg.get(k) for k in keys}\n"
        "out['celery_broker'] = getattr(cfg.get('CELERY_CONFIG'), 'broker_url', None)\n"
        "out['results_backend'] = type(cfg.get('RESULTS_BACKEND')).__name__\n"
        "print(json.dumps(out, default=str))\n"
    )
    done = subprocess.run(
        [str(SUPERSET_PYTHON), "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not SUPERSET_PYTHON.exists(), reason="run scripts/superset_setup.sh first")
def test_config_profiles() -> None:
    stored, _ = settings.ensure_secrets()
    base = {settings.ENV_PORT: "18123"}
    embedded = _load_config(base)
    assert embedded["SECRET_KEY"] == stored.secret_key
    assert embedded["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{settings.home_dir() / 'superset.db'}"
    assert embedded["BABEL_DEFAULT_LOCALE"] == "zh"
    assert set(embedded["LANGUAGES"]) == {"zh", "en"}  # type: ignore[arg-type]
    assert embedded["DATA_CACHE_CONFIG"] == {"CACHE_TYPE": "NullCache"}
    assert embedded["celery_broker"] is None
    assert embedded["SUPERSET_WEBSERVER_PORT"] == 18123
    assert embedded["FEATURE_FLAGS"]["ALERT_REPORTS"] is False  # type: ignore[index]

    production = _load_config({**base, settings.ENV_PROFILE: "production", settings.ENV_REDIS_URL: "redis://r:1/3"})
    assert production["SQLALCHEMY_DATABASE_URI"] == settings.DEFAULT_METADATA_URI
    assert production["DATA_CACHE_CONFIG"] == {"CACHE_TYPE": "NullCache"}  # swap-safe in every profile
    assert production["CACHE_CONFIG"]["CACHE_TYPE"] == "RedisCache"  # type: ignore[index]
    assert production["EXPLORE_FORM_DATA_CACHE_CONFIG"]["CACHE_REDIS_URL"] == "redis://r:1/3"  # type: ignore[index]
    assert production["celery_broker"] == "redis://r:1/3"
    assert production["results_backend"] == "RedisCache"
    assert production["FEATURE_FLAGS"]["ALERT_REPORTS"] is True  # type: ignore[index]


def _served_link(folder: Path) -> tuple[Path, Path]:
    """A served path linked to a version file, as crmwh.publish leaves it."""
    version = folder / "wh.versions" / "wh.1.duckdb"
    version.parent.mkdir()
    version.write_bytes(b"")
    served = folder / "wh.duckdb"
    served.symlink_to(version.relative_to(folder))
    return served, version


def test_connections_open_the_version_being_served(tmp_path: Path) -> None:
    served, version = _served_link(tmp_path)
    assert settings.current_warehouse_file(str(served)) == str(version)
    assert settings.current_warehouse_file(str(version)) == str(version)  # a plain file stays itself
    assert settings.current_warehouse_file(":memory:") == ":memory:"


@pytest.mark.skipif(not SUPERSET_PYTHON.exists(), reason="run scripts/superset_setup.sh first")
def test_superset_connection_hook_resolves_the_served_link(tmp_path: Path) -> None:
    served, version = _served_link(tmp_path)
    settings.ensure_secrets()
    code = (
        "import runpy\n"
        "from sqlalchemy.engine.url import make_url\n"
        f"cfg = runpy.run_path({str(settings.CONFIG_FILE)!r})\n"
        "hook = cfg['DB_CONNECTION_MUTATOR']\n"
        f"url, params = hook(make_url('duckdb:///{served}'), {{'poolclass': None}}, None, None, None)\n"
        "print(url.database)\n"
        "other, _ = hook(make_url('postgresql://u@h/db'), {}, None, None, None)\n"
        "print(other.database)\n"
    )
    done = subprocess.run(
        [str(SUPERSET_PYTHON), "-c", code], env={**os.environ}, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == [str(version), "db"]
