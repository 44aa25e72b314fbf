"""Logs without phone numbers in clear: every number becomes its masked form and a keyed tag.

The tag (an HMAC of the number under the app's secret key) lets one follow a number through
the logs without reading it. Message bodies are never logged by the hotline's own code.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

from hotline.domain import phones

NUMBER = re.compile(r"\+\d{7,15}\b")
_key = b""
_installed = False


def tag(number: str, key: bytes) -> str:
    """A short keyed fingerprint of a number."""
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:8]


def redact(text: str, key: bytes) -> str:
    """Replace every phone number in `text` by its masked form and tag."""
    return NUMBER.sub(lambda m: f"{phones.mask(m.group())}#{tag(m.group(), key)}", text)


def install(secret_key: str) -> None:
    """Make every log record of this process redact phone numbers (ours and libraries')."""
    global _key, _installed
    _key = secret_key.encode()
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def redacting(*args, **kwargs):
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return record
        if NUMBER.search(message):
            record.msg, record.args = redact(message, _key), ()
        return record

    logging.setLogRecordFactory(redacting)
