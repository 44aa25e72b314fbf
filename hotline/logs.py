"""Logs without phone numbers in clear: every number becomes its masked form and a keyed tag.

The tag (an HMAC of the number under the app's secret key) lets one follow a number through
the logs without reading it. Message bodies are never logged by the hotline's own code.

Access logs (the development server's, and gunicorn's when it keeps one) lose every URL's query
string: `?phone=%2B86…` and `?q=138…` carry numbers in forms the number pattern cannot see.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

from hotline.domain import phones

NUMBER = re.compile(r"\+\d{7,15}\b")
QUERY = re.compile(r"\?[^\s\"'\x1b]+")  # a URL's query, up to the space, quote or colour code that ends it
ACCESS_LOGS = frozenset({"werkzeug", "gunicorn.access"})  # the loggers that write request lines
_key = b""
_installed = False


def tag(number: str, key: bytes) -> str:
    """A short keyed fingerprint of a number."""
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:8]


def redact(text: str, key: bytes) -> str:
    """Replace every phone number in `text` by its masked form and tag."""
    return NUMBER.sub(lambda m: f"{phones.mask(m.group())}#{tag(m.group(), key)}", text)


def without_queries(text: str) -> str:
    """Replace the query string of every URL in `text` by `?...`."""
    return QUERY.sub("?...", text)


def clean(logger: str, message: str, key: bytes) -> str:
    """A log message as it may be written: numbers redacted, and queries dropped from access logs."""
    if logger in ACCESS_LOGS:
        message = without_queries(message)
    return redact(message, key) if NUMBER.search(message) else message


def install(secret_key: str) -> None:
    """Make every log record of this process redact phone numbers (ours and libraries'), and every
    access log drop query strings."""
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
        cleaned = clean(record.name, message, _key)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return record

    logging.setLogRecordFactory(redacting)
