"""The admin pages; importing this package adds their routes to the blueprint."""

from admin.views import act_now, broadcast, dashboard, manifest, outbox, people, reaching, requests  # noqa: F401
