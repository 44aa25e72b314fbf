"""The WSGI entry point: `gunicorn hotline.wsgi:app`."""

from hotline import create_app
from hotline.domain import reading

app = create_app()
reading.prepare()  # each web process loads the lexicons as it starts, not while an SMS waits
