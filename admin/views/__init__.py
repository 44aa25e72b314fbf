"""The admin pages; importing this package adds their routes to the blueprint."""

from admin.views import (  # noqa: F401
    act_now,
    broadcast,
    dashboard,
    manifest,
    numbers,
    outbox,
    people,
    reaching,
    requests,
)
