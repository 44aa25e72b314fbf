"""gunicorn's settings (hotline/serving.py): what the master loaded is frozen before each fork."""

from __future__ import annotations

import subprocess
import sys

from tests.reliability.stack import ROOT


def test_what_the_master_loaded_is_left_out_of_the_workers_collections(tmp_path):
    script = ("import gc\n"
              "from hotline.wsgi import app\n"
              "from hotline import serving\n"
              "before = gc.get_freeze_count()\n"
              "serving.pre_fork(None, None)\n"
              "print(before, gc.get_freeze_count(), len(gc.get_objects()))\n")
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 32, "HOTLINE_BUILDINGS": "1-3", "PYTHONPATH": str(ROOT),
           "DATABASE_URL": "sqlite:///:memory:", "HOTLINE_SPOOL_DIR": str(tmp_path / "spool")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    before, frozen, still_collected = map(int, run.stdout.split()[-3:])
    assert before == 0
    assert frozen > 100_000  # the app, its catalogs and lexicons
    assert still_collected < 1_000
