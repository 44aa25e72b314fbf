"""Real processes for the reliability tests and the bench.

`Stack` is one installation of the hotline as SPEC "Runs on" describes production: a database
(a SQLite file, a fresh database on the machine's PostgreSQL, or any URL), the web server under
gunicorn (`gunicorn -w 2 -b 127.0.0.1:PORT hotline.wsgi:app`), and workers as separate
`flask --app hotline worker` processes, all configured through the environment variables of
SPEC "Configuration" and pointed at a local Twilio stand-in. Each installation gets its own
folder (the processes run there, so their `instance/` is private too).

`PrivatePostgres` is a throw-away PostgreSQL server (initdb + pg_ctl on a temp folder and a spare
port) that a test may stop and start; the machine's own server is never touched.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg

from tests.helpers import POSTGRES, Phone, create_database, drop_database, free_port, sign
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
GUNICORN = str(BIN / "gunicorn") if (BIN / "gunicorn").exists() else shutil.which("gunicorn") or "gunicorn"
FULL = os.environ.get("HOTLINE_RELIABILITY", "").strip().lower() == "full"
COORDINATOR = "+8613950009999"


def scale(fast, full):
    """The FAST figure by default, the FULL one under HOTLINE_RELIABILITY=full."""
    return full if FULL else fast


def run_loadgen(base_url: str, kind: str, rate: float, seconds: float, *options: str) -> dict:
    """Run bench/loadgen.py (open loop, signed) against `base_url`; return its figures."""
    cmd = [PYTHON, str(ROOT / "bench" / "loadgen.py"), "--base-url", base_url, "--kind", kind, "--rate", str(rate),
           "--duration", str(seconds), "--auth-token", AUTH_TOKEN, *options]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if run.returncode != 0:
        raise RuntimeError(f"loadgen failed: {run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def volunteer_phone(building: int) -> str:
    return f"+86139500{building:05d}"


def roster_csv(buildings=range(1, 37)) -> str:
    """One volunteer per building, and a coordinator."""
    rows = ["name,phone,buildings,languages,role"]
    rows += [f"Volunteer {b},{volunteer_phone(b)},{b},zh;en,volunteer" for b in buildings]
    rows.append(f"Coordinator Sun,{COORDINATOR},,zh;en,coordinator")
    return "\n".join(rows) + "\n"


def sms_form(phone: str, body: str, sid: str | None = None) -> dict[str, str]:
    """A Twilio-shaped SMS webhook form (the fields Twilio sends, as tests/helpers.py writes them)."""
    return Phone(None, None, phone).form(body, sid)


def post(url: str, params: dict[str, str] | None = None, *, signature: str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 15.0) -> tuple[int, str, float]:
    """POST a form (GET without params); return the status, the text and how long it took."""
    data = urllib.parse.urlencode(params).encode() if params is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if signature is not None:
        req.add_header("X-Twilio-Signature", signature)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace"), time.monotonic() - start
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), time.monotonic() - start
    except (OSError, urllib.error.URLError) as e:
        return 0, f"{type(e).__name__}: {e}", time.monotonic() - start


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "a condition"):
    """Poll `predicate` until it returns something true; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - a server not up yet, a database restarting
            last_error = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}" + (f" (last error: {last_error!r})"
                                                                               if last_error else ""))


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    for candidate in [os.environ.get("HOTLINE_PG_BIN", ""), "/usr/lib/postgresql/15/bin",
                      *sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


class PrivatePostgres:
    """A PostgreSQL server of our own on a temp folder and a spare port, to stop and start at will.

    initdb refuses to run as root: as root, the server runs as the `postgres` user (runuser).
    """

    def __init__(self):
        self.bin = _postgres_bin()
        self.tmp = Path(tempfile.mkdtemp(prefix="hotline-rel-pg-"))
        self.data = self.tmp / "data"
        self.log = self.tmp / "postgres.log"
        self.port = free_port()
        self.running = False
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")  # KeyError: no such user (the caller skips)
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @staticmethod
    def reason() -> str | None:
        """Why a private server cannot be made here (None when it can)."""
        if _postgres_bin() is None:
            return "no PostgreSQL binaries (initdb, pg_ctl) found"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no `postgres` user to run initdb as"
            if shutil.which("runuser") is None:
                return "running as root and runuser is missing"
        return None

    @property
    def server(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = [*self.as_user, *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")

    def init(self) -> PrivatePostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        return self.start()

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "60", "start")
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop this server only (`immediate` is a crash: no shutdown checkpoint, recovery at start)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def cleanup(self) -> None:
        if self.running:
            with contextlib.suppress(Exception):
                self.stop("fast")
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The hotline
# --------------------------------------------------------------------------------------------

# The schema `flask --app hotline init-db` made for the first installation of this process on each kind of
# database (and set of buildings): the next ones start from a copy of it instead of running every migration again.
MIGRATED: dict[tuple[str, str], str] = {}


@atexit.register
def _forget_migrated() -> None:
    for (dialect, _), kept in MIGRATED.items():
        with contextlib.suppress(Exception):
            if dialect == "sqlite":
                shutil.rmtree(Path(kept).parent)
            else:
                drop_database(POSTGRES, kept)



class Stack:
    """One installation: its database, a gunicorn server and worker processes, in its own folder.

    database: "sqlite" (a file in the folder), "postgres" (a fresh database on the machine's
    server, dropped at stop) or a SQLAlchemy URL (used as is).
    """

    def __init__(self, database: str, twilio_url: str, name: str = "hotline", **env: str):
        self.tmp = Path(tempfile.mkdtemp(prefix=f"hotline-rel-{name}-"))
        self.pg_name: str | None = None
        if database == "sqlite":
            url = f"sqlite:///{self.tmp}/hotline.db"
        elif database == "postgres":
            self.pg_name, url = create_database(prefix="hotline_rel_")
        else:
            url = database
        self.database_url = url
        self.own_database = database in ("sqlite", "postgres")  # made here, not a URL given
        self.dialect = url.split(":")[0].split("+")[0]  # sqlite, postgresql
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TWILIO_", "FLASK_"))}
        self.env.update({
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": url,
            "SECRET_KEY": "reliability-secret",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_PHONE_NUMBER": HOTLINE_NUMBER,
            "TWILIO_API_URL": twilio_url,
            "PUBLIC_BASE_URL": self.url,
            "HOTLINE_BUILDINGS": "1-36",
            "HOTLINE_SEND_RATE": "50",
            "HOTLINE_RETRY_DELAYS": "1,2",
            "HOTLINE_SPOOL_DIR": str(self.tmp / "spool"),
        })
        self.env.update(env)
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.server: subprocess.Popen | None = None
        self.token = ""
        self.app = None
        self._logs: list = []
        self._workers = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- set-up ------------------------------------------------------------------------------

    def init(self, volunteers: str | None = None) -> Stack:
        """Create the schema with `flask --app hotline init-db` (or copy the one it made for an earlier
        installation of this process on the same kind of database), import volunteers, make a token."""
        if not self._copy_migrated():
            r = subprocess.run([PYTHON, "-m", "flask", "--app", "hotline", "init-db"], cwd=self.tmp, env=self.env,
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                raise RuntimeError(f"init-db failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
            self._keep_migrated()
        from hotline import create_app
        from hotline.api import create_token
        from hotline.domain import roster
        from hotline.domain.policy import Policy
        from hotline.extensions import db

        self.app = create_app({"ENV": dict(self.env)})
        with self.app.app_context():
            if volunteers:
                report = roster.import_volunteers(db.session, Policy.from_config(self.app.config), volunteers.encode())
                assert not report.errors, report.errors
            self.token = create_token(db.session, "reliability")
            db.session.commit()
        return self

    def _migrated_key(self) -> tuple[str, str] | None:
        """Which kept schema fits this installation: its own database's kind and buildings (None for a URL given)."""
        return (self.dialect, self.env["HOTLINE_BUILDINGS"]) if self.own_database else None

    def _copy_migrated(self) -> bool:
        """Start from a copy of the schema init-db made for an earlier installation; False if there is none."""
        key = self._migrated_key()
        if key not in MIGRATED:
            return False
        if self.dialect == "sqlite":
            shutil.copyfile(MIGRATED[key], self.tmp / "hotline.db")
        else:
            with psycopg.connect(POSTGRES + "/postgres", autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'DROP DATABASE "{self.pg_name}"')
                conn.execute(f'CREATE DATABASE "{self.pg_name}" TEMPLATE "{MIGRATED[key]}"')
        return True

    def _keep_migrated(self) -> None:
        """Keep what init-db just made, for the next installations of this process (a copy: a SQLite file, a
        PostgreSQL template database), gone when the process ends."""
        key = self._migrated_key()
        if key is None or key in MIGRATED:
            return
        if self.dialect == "sqlite":
            kept = Path(tempfile.mkdtemp(prefix="hotline-rel-migrated-")) / "hotline.db"
            with contextlib.closing(sqlite3.connect(self.tmp / "hotline.db")) as conn:
                conn.execute("VACUUM INTO ?", (str(kept),))
            MIGRATED[key] = str(kept)
        else:
            kept = f"hotline_rel_migrated_{secrets.token_hex(4)}"
            with psycopg.connect(POSTGRES + "/postgres", autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{kept}" TEMPLATE "{self.pg_name}"')
            MIGRATED[key] = kept

    @contextlib.contextmanager
    def db(self) -> Iterator:
        """The database, read (or written) from the test process through the app's models."""
        from hotline.extensions import db

        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.rollback()

    def queue(self, messages: list[tuple[str, str]], lang: str = "zh") -> list[int]:
        """Queue SMS (to, body) in the outbox, as the domain does, in one transaction."""
        from hotline.domain import outbox

        with self.db() as session:
            rows = [outbox.queue_sms(session, to, body, lang) for to, body in messages]
            session.commit()
            return [row.id for row in rows]

    def outbox(self) -> list[dict]:
        """Every outbox row, as plain values."""
        from sqlalchemy import select

        from hotline.models import Outbox

        with self.db() as session:
            return [
                {"id": r.id, "to": r.to, "body": r.body, "kind": r.kind, "status": r.status.value,
                 "attempts": r.attempts, "duplicates": r.duplicates, "error_code": r.error_code,
                 "delivery_status": r.delivery_status, "segments": r.segments}
                for r in session.scalars(select(Outbox).order_by(Outbox.id))
            ]

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed at stop
        self._logs.append(log)
        proc = subprocess.Popen(cmd, cwd=self.tmp, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def start_server(self, workers: int = 2, timeout: float = 60) -> Stack:
        """`gunicorn -c python:hotline.serving -w 2 -b 127.0.0.1:PORT hotline.wsgi:app` (the README's settings:
        the app loaded once, before the workers fork), ready when /healthz answers 200."""
        for _ in range(3):
            self.server = self._gunicorn("server", "hotline.wsgi:app", self.port, "/healthz", workers, timeout,
                                         settings=("-c", "python:hotline.serving"))
            if self.server is not None:
                return self
            self.port = free_port()  # the port was taken meanwhile
            self.env["PUBLIC_BASE_URL"] = self.url
        raise RuntimeError("the server did not start:\n" + self.log_tail())

    def start_app(self, name: str, app: str, ready_path: str = "/", workers: int = 2) -> str:
        """Another WSGI app under gunicorn (`-w 2`, the stack's environment, loaded before the workers fork, as
        the hotline is); returns its base URL."""
        for _ in range(3):
            port = free_port()
            if self._gunicorn(name, app, port, ready_path, workers, settings=("--preload",)) is not None:
                return f"http://127.0.0.1:{port}"
        raise RuntimeError(f"{app} did not start:\n" + self.log_tail())

    def _gunicorn(self, name: str, app: str, port: int, ready_path: str, workers: int = 2,
                  timeout: float = 60, settings: tuple[str, ...] = ()) -> subprocess.Popen | None:
        """`gunicorn -w WORKERS -b 127.0.0.1:PORT APP`, once `ready_path` answers 200; None when it exited
        first (its port was taken meanwhile)."""
        proc = self._spawn(name, [GUNICORN, *settings, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60",
                                  "--graceful-timeout", "5", app])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if post(f"http://127.0.0.1:{port}{ready_path}", timeout=2)[0] == 200:
                return proc
            time.sleep(0.1)
        if proc.poll() is None:
            raise RuntimeError(f"{app} did not answer {ready_path} in {timeout:g} s:\n" + self.log_tail())
        return None

    def start_worker(self, lease_seconds: float | None = None, **env: str) -> subprocess.Popen:
        """`flask --app hotline worker` (with `lease_seconds`: the same command with a shorter lease)."""
        self._workers += 1
        worker_env = {**self.env, **env}
        if lease_seconds is None:
            cmd = [PYTHON, "-m", "flask", "--app", "hotline", "worker"]
        else:
            worker_env["RELIABILITY_LEASE_SECONDS"] = str(lease_seconds)
            cmd = [PYTHON, str(Path(__file__).with_name("leased_worker.py"))]
        return self._spawn(f"worker-{self._workers}", cmd, worker_env)

    # -- talking to it ------------------------------------------------------------------------

    def sms(self, phone: str, body: str, sid: str | None = None, timeout: float = 15.0) -> tuple[int, str, float]:
        """Text the hotline through its signed webhook, as Twilio does."""
        url = self.url + "/twilio/sms"
        form = sms_form(phone, body, sid)
        return post(url, form, signature=sign(url, form), timeout=timeout)

    def api(self, path: str) -> dict:
        """GET the JSON API through the server (through the in-process app when no server runs)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.server is None:
            response = self.app.test_client().get(path, headers=headers)
            status, text = response.status_code, response.get_data(as_text=True)
        else:
            status, text, _ = post(self.url + path, headers=headers, timeout=30)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {text[:300]}")
        return json.loads(text)

    def requests(self) -> list[dict]:
        """Every request, a page of the API at a time."""
        found, after = [], 0
        while page := self.api(f"/api/v1/requests?limit=1000&after={after}")["requests"]:
            found += page
            after = page[-1]["number"]
        return found

    # -- ending ---------------------------------------------------------------------------------

    def log_tail(self, chars: int = 4000) -> str:
        out = []
        for path in sorted(self.tmp.glob("*.log")):
            with contextlib.suppress(OSError):
                out.append(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(out)

    def stop_process(self, proc: subprocess.Popen, timeout: float = 15) -> None:
        """SIGTERM the process group we started, then SIGKILL it if it does not stop."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            with contextlib.suppress(Exception):
                self.stop_process(proc)
        for log in self._logs:
            log.close()
        if self.app is not None:
            from hotline.extensions import db

            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.pg_name:
            with contextlib.suppress(Exception):
                drop_database(POSTGRES, self.pg_name)
        if os.environ.get("HOTLINE_RELIABILITY_KEEP"):
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
