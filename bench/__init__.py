"""`make bench`: our webhooks against bare Flask endpoints under gunicorn, and the admin queries at scale."""
