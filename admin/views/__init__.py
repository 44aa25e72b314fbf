"""The admin pages; importing this package adds their routes to the blueprint."""

from admin.views import act_now, broadcast, dashboard, manifest, numbers, outbox, people, requests  # noqa: F401
