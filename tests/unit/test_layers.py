"""The domain stands alone: its modules load no web framework, no Twilio, no admin and no simulator.

Checked in a fresh interpreter, since this test's own process has loaded them all. Importing every
domain module together loads a package only if one of them does, so one interpreter proves it for
each; a failure names the module that pulled the package in.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import hotline.domain

ROOT = Path(__file__).resolve().parents[2]
EDGE = ("flask", "flask_sqlalchemy", "flask_migrate", "werkzeug", "twilio", "admin", "simulator")
STANDALONE = ["hotline.models", "hotline.clock", "hotline.texts", "hotline.database"] + [
    f"hotline.domain.{module.name}" for module in pkgutil.iter_modules(hotline.domain.__path__)
]

PROBE = """
import importlib, sys
edge = {edge!r}
for name in {modules!r}:
    importlib.import_module(name)
    loaded = sorted(p for p in edge if p in sys.modules)
    if loaded:
        print(name, "loads", ", ".join(loaded))
        sys.exit(1)
print("alone")
"""


def test_every_domain_module_loads_without_the_edge():
    assert len(STANDALONE) > 20  # the domain's modules were found
    probe = PROBE.format(edge=EDGE, modules=STANDALONE)
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "alone", done.stdout + done.stderr[-2000:]


def test_the_probe_finds_a_module_that_loads_the_edge():
    probe = PROBE.format(edge=EDGE, modules=["hotline.domain.requests", "hotline.channels.sms"])
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout.startswith("hotline.channels.sms loads flask")
