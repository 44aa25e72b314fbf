"""gunicorn's settings for the hotline: `gunicorn -c python:hotline.serving --workers 4 hotline.wsgi:app`.

The app and everything it reads once (the catalogs, the lexicons of `reading.prepare`, the IVR flows) load
in gunicorn's master process, before it forks its workers: a worker, and one restarted after a crash or
`--max-requests`, starts in milliseconds without importing anything or taking CPU from the others (its first
requests still open its database connections and compile their statements). The master opens no database
connection; should it ever, a worker lets go of the master's pooled connections without closing them (the
master's, not its own) before it takes a request.

What the master loaded is frozen out of the garbage collector's reach before each fork (`gc.freeze`): some
350,000 objects that live as long as the process. A worker's full collections would otherwise walk them all
again and again (about 90 ms each, one every few hundred SMS, which the SMS waiting behind it feel), and
touching them would copy the master's memory pages into every worker.
"""

import gc

preload_app = True


def pre_fork(server, worker) -> None:
    """Leave what the master loaded out of the workers' garbage collections."""
    gc.freeze()


def post_fork(server, worker) -> None:
    """A new worker starts with empty connection pools of its own."""
    from hotline.extensions import db
    from hotline.wsgi import app

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
