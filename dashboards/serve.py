"""Serve the warehouse in Superset, in the foreground, until SIGTERM or Ctrl-C.

Run inside ``.venv-superset`` (``scripts/superset_serve.sh`` does it: ``make serve``)::

    python -m dashboards.serve

Steps: secrets (generated once, printed once), production services checked (PostgreSQL database created if
missing, Redis reachable), metadata bootstrapped (``dashboards.bootstrap``), then gunicorn on 127.0.0.1:<port>
(plus a Celery worker and beat in the production profile), supervised: a signal stops every child cleanly, and
a child that dies stops the rest.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from contracts.errors import CrmwhError
from dashboards import settings

READY_TIMEOUT_S = 240.0
STOP_TIMEOUT_S = 30.0


class ServeError(CrmwhError):
    """Superset cannot be started; the message says why and what to do."""


def child_env() -> dict[str, str]:
    """The environment every Superset process gets."""
    env = dict(os.environ)
    pythonpath = [str(settings.REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(pythonpath),
            "SUPERSET_CONFIG_PATH": str(settings.CONFIG_FILE),
            "FLASK_APP": "superset.app:create_app()",
            # No telemetry, and no Selenium Manager download attempts: the machine is offline.
            "SCARF_ANALYTICS": "False",
            "SE_OFFLINE": "true",
            "SE_AVOID_STATS": "true",
            "DO_NOT_TRACK": "1",
        }
    )
    if settings.profile() == "production":
        env["SUPERSET_ENV"] = "production"
    return env


def _bin(name: str) -> str:
    """A console script of the virtualenv this interpreter runs in."""
    candidate = Path(sys.executable).parent / name
    if not candidate.exists():
        raise ServeError(f"{candidate} is missing: run scripts/superset_setup.sh to build .venv-superset")
    return str(candidate)


def check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise ServeError(
                f"127.0.0.1:{port} is already in use (another Superset?): stop it or set {settings.ENV_PORT}"
            ) from None


def ensure_postgres_database(uri: str) -> None:
    """Create the metadata database on first use; the server itself must already run."""
    import psycopg2
    from psycopg2 import sql
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    if not url.drivername.startswith("postgresql"):
        return
    name = url.database or "crmwh_superset"
    params = {"host": url.host or "127.0.0.1", "port": url.port or 5432, "user": url.username or "postgres"}
    if url.password:
        params["password"] = url.password
    try:
        conn = psycopg2.connect(dbname="postgres", connect_timeout=5, **params)
    except psycopg2.OperationalError as exc:
        raise ServeError(
            f"PostgreSQL for the production profile is unreachable at {params['host']}:{params['port']} "
            f"({str(exc).strip()}); start it or set {settings.ENV_METADATA_URI}"
        ) from None
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created PostgreSQL database {name!r} for Superset's metadata", flush=True)
    finally:
        conn.close()


def check_redis(url: str) -> None:
    import redis

    try:
        redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        raise ServeError(
            f"Redis for the production profile is unreachable at {url} ({exc}); start it or set "
            f"{settings.ENV_REDIS_URL}"
        ) from None


def run_bootstrap(env: dict[str, str], log_path: Path) -> None:
    print("bootstrapping Superset metadata:", flush=True)
    with log_path.open("a", encoding="utf-8") as log:
        result = subprocess.run(
            [sys.executable, "-m", "dashboards.bootstrap"], env=env, stdout=None, stderr=log, check=False
        )
    if result.returncode != 0:
        tail = "".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[-25:])
        raise ServeError(f"Superset bootstrap failed (exit {result.returncode}); end of {log_path}:\n{tail}")


def gunicorn_command(port: int) -> list[str]:
    return [
        _bin("gunicorn"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(settings.workers()),
        "--worker-class", "gthread",
        "--threads", str(settings.threads()),
        "--timeout", "120",
        "--graceful-timeout", "20",
        "--limit-request-line", "0",
        "--limit-request-field_size", "0",
        "--access-logfile", str(settings.home_dir() / "access.log"),
        # gunicorn 27's control socket defaults to one path per user: two servers (tests, a second port) would
        # fight over it, and nothing here uses it.
        "--no-control-socket",
        "superset.app:create_app()",
    ]  # fmt: skip


def celery_commands() -> list[list[str]]:
    celery = _bin("celery")
    app = "--app=superset.tasks.celery_app:app"
    beat_schedule = settings.home_dir() / "celerybeat-schedule"
    return [
        [celery, app, "worker", "--pool=prefork", "--concurrency=2", "-O", "fair", "--loglevel=WARNING"],
        [celery, app, "beat", f"--schedule={beat_schedule}", "--loglevel=WARNING"],
    ]


def wait_ready(port: int, children: Sequence[subprocess.Popen[bytes]], timeout: float) -> float:
    """Seconds until /health answers OK; raises if a child dies first or time runs out."""
    started = time.monotonic()
    url = f"http://127.0.0.1:{port}/health"
    while time.monotonic() - started < timeout:
        for child in children:
            if child.poll() is not None:
                raise ServeError(f"{Path(str(child.args[0])).name} exited with {child.returncode} during startup")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise ServeError(f"Superset did not answer {url} within {timeout:.0f} s")


def stop_children(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def serve() -> int:
    started = time.monotonic()
    # Everything Superset creates (metadata database, logs, uploads) is the owner's only; its children inherit this.
    os.umask(0o077)
    profile = settings.profile()
    port = settings.port()
    home = settings.home_dir()
    home.mkdir(parents=True, exist_ok=True)
    stored, generated = settings.ensure_secrets()
    if generated:
        print(
            f"generated Superset secrets in {settings.secrets_file()} (kept out of git):\n"
            f"  admin user:     {settings.admin_user()}\n"
            f"  admin password: {stored.admin_password}\n"
            f"  (shown this once; {settings.ENV_ADMIN_PASSWORD} overrides it)",
            flush=True,
        )
    warehouse = settings.warehouse_path()
    if not warehouse.exists():
        print(
            f"warning: the warehouse {warehouse} does not exist yet; charts fail until a build publishes it",
            file=sys.stderr,
            flush=True,
        )
    check_port_free(port)
    if profile == "production":
        ensure_postgres_database(settings.metadata_uri())
        check_redis(settings.redis_url())

    env = child_env()
    # Signals from here on stop everything cleanly, even during bootstrap.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    children: list[subprocess.Popen[bytes]] = []
    try:
        run_bootstrap(env, home / "bootstrap.log")
        commands = [gunicorn_command(port)] + (celery_commands() if profile == "production" else [])
        for command in commands:
            children.append(subprocess.Popen(command, env=env))
        ready_s = wait_ready(port, children, READY_TIMEOUT_S)
        print(
            f"Superset ({profile}) ready at http://127.0.0.1:{port}/ after {time.monotonic() - started:.1f} s "
            f"(web server up in {ready_s:.1f} s); user {settings.admin_user()!r}; Ctrl-C stops it",
            flush=True,
        )
        while True:
            for child in children:
                if child.poll() is not None:
                    raise ServeError(f"{Path(str(child.args[0])).name} exited unexpectedly with {child.returncode}")
            time.sleep(1.0)
    except _Stop as stop:
        print(f"received {stop.args[0]}: stopping Superset", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_children(children)


def parse_args(argv: Sequence[str] | None = None) -> None:
    """Flags override the environment (they are written into it, so the Superset processes see the same)."""
    parser = argparse.ArgumentParser(prog="crmwh serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, help=f"port on 127.0.0.1 [default: {settings.ENV_PORT} or 8088]")
    parser.add_argument("--profile", choices=settings.PROFILES, help=f"[default: {settings.ENV_PROFILE} or embedded]")
    parser.add_argument("--warehouse", type=Path, help=f"DuckDB file to serve [default: {settings.ENV_WAREHOUSE}]")
    args = parser.parse_args(argv)
    if args.port is not None:
        os.environ[settings.ENV_PORT] = str(args.port)
    if args.profile is not None:
        os.environ[settings.ENV_PROFILE] = args.profile
    if args.warehouse is not None:
        os.environ[settings.ENV_WAREHOUSE] = str(args.warehouse.absolute())


def main(argv: Sequence[str] | None = None) -> int:
    parse_args(argv)
    try:
        return serve()
    except CrmwhError as exc:
        print(f"crmwh serve: {exc}", file=sys.stderr, flush=True)
        return int(exc.exit_code)
    except KeyboardInterrupt:  # Ctrl-C before anything was started
        return 130


if __name__ == "__main__":
    sys.exit(main())
