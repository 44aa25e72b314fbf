"""gunicorn's settings for the hotline: `gunicorn -c python:hotline.serving --workers 4 hotline.wsgi:app`.

The app and everything it reads once (the catalogs, the lexicons of `reading.prepare`, the IVR flows) load
in gunicorn's master process, before it forks its workers: a worker starts warm in milliseconds and its
first SMS costs what the next one does, and one that is restarted (a crash, `--max-requests`) takes no
import time from the others. The master opens no database connection; should it ever, a worker lets go of
the master's pooled connections without closing them (the master's, not its own) before it takes a request.
"""

preload_app = True


def post_fork(server, worker) -> None:
    """A new worker starts with empty connection pools of its own."""
    from hotline.extensions import db
    from hotline.wsgi import app

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
