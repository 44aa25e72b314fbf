"""`flask --app hotline worker`, with the send lease shortened to RELIABILITY_LEASE_SECONDS.

Only the FAST kill test uses it: the worker's lease (hotline.worker.LEASE, 60 s) is a constant,
not a setting, and waiting it out after every batch of SIGKILLs would make the fast suite slow.
Everything else is the real command: the same CLI entry point, app, claim, send and recovery
code. The FULL kill test runs the unmodified `flask --app hotline worker`.
"""

import os
import sys
from datetime import timedelta

from flask.cli import main

import hotline.worker

hotline.worker.LEASE = timedelta(seconds=float(os.environ["RELIABILITY_LEASE_SECONDS"]))
sys.argv = ["flask", "--app", "hotline", "worker"]
main()
