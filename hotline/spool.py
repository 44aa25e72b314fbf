"""An append-only folder of inbound webhooks that arrived while the database did not answer.

Each inbound is one JSON file, written to a temporary name, flushed to disk and renamed into
place, so a crash leaves either a whole file or none. The worker replays the files in arrival
order once the database answers again; the MessageSid keeps a replay from acting twice.

The files hold phone numbers and what people said, so only the hotline's own user may read them:
the folder is 0700 (made so, or closed at start if it was open to others) and each file 0600. A
file the worker cannot replay (unreadable, or its handling fails) is set aside under another
suffix, dated when it was set aside, and `flask purge` removes it by that age, as it does the
database's inbound log.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import datetime
from pathlib import Path

from hotline import clock
from hotline.config import ConfigError

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SET_ASIDE = ("unreadable", "failed")  # the suffixes of files set aside: not JSON, or their handling failed


def _create_private(path: Path) -> int:
    """Create a new file only this user may read; return its descriptor, open for writing."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


class Spool:
    """The spool folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            os.chmod(self.folder, FOLDER_MODE)
            probe = self.folder / f".probe-{secrets.token_hex(4)}"
            os.close(_create_private(probe))
            probe.unlink()
        except OSError as e:
            raise ConfigError(f"the spool folder {self.folder} is not writable: {e}") from e

    def put(self, kind: str, sid: str, form: dict[str, str]) -> Path:
        """Keep one inbound webhook on disk; return its file."""
        record = {"kind": kind, "sid": sid, "form": form, "received_at": clock.now().isoformat()}
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.json"
        tmp = self.folder / f".{name}.tmp"
        with os.fdopen(_create_private(tmp), "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        final = self.folder / name
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        """The spooled files, oldest first."""
        return sorted(p for p in self.folder.glob("*.json") if not p.name.startswith("."))

    @staticmethod
    def read(path: Path) -> dict | None:
        """Read one spooled record; None if it is unreadable (it is then kept aside, not lost)."""
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            Spool.set_aside(path, "unreadable")
            return None

    @staticmethod
    def set_aside(path: Path, why: str) -> Path:
        """Take a file out of the replay (`why` is one of SET_ASIDE), dated now for `purge`."""
        aside = path.with_suffix(f".{why}")
        path.rename(aside)
        at = clock.now().timestamp()
        os.utime(aside, (at, at))
        return aside

    def purge(self, before: datetime) -> int:
        """Remove the files set aside before `before`; return how many."""
        removed = 0
        for why in SET_ASIDE:
            for path in self.folder.glob(f"*.{why}"):
                if path.stat().st_mtime < before.timestamp():
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    @staticmethod
    def done(path: Path) -> None:
        """Remove a file whose inbound is now in the database."""
        path.unlink(missing_ok=True)
