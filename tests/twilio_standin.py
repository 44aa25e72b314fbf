"""A local stand-in for Twilio's REST API (2010-04-01), for tests of the real TwilioTransport.

    with TwilioStandin() as twilio:
        transport = TwilioTransport(ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, api_url=twilio.url)
        twilio.faults.append(503)
        ...
        assert twilio.sent[-1].params["Body"] == "..."

It answers Messages.json and Calls.json as Twilio does (201 and the resource's JSON, or 400 and
Twilio's error JSON), serves and deletes recordings, and checks Basic auth. Faults on demand:
`faults` is consumed one item per POST to Messages/Calls (`faults_for[to]` first):

    500, 503, 429          that HTTP status with Twilio's generic error body (code 20000 + status)
    ("error", 400, 21610)  that status with that Twilio error code
    "hang"                 wait `hang_seconds`, then handle the request normally: Twilio took it,
                           but a client with a shorter timeout never hears so
    "reset"                drop the connection without answering, after reading the request
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import struct
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 8 + "0123456789abcdef" + "e" * 8
HOTLINE_NUMBER = "+14155550100"

_RESOURCE = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})/(Messages|Calls)\.json")
_RECORDING = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})/Recordings/(RE[0-9a-f]{32})\.(mp3|wav|json)")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/x-wav"}


def tiny_wav(seconds: float = 0.1) -> bytes:
    """Return a valid, silent 8 kHz mono WAV file."""
    rate = 8000
    data = b"\x80" * int(rate * seconds)
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    chunks = [b"WAVEfmt ", fmt, b"data", struct.pack("<I", len(data)), data]
    return b"RIFF" + struct.pack("<I", 36 + len(data)) + b"".join(chunks)


@dataclass
class Seen:
    """One request the stand-in received."""

    method: str
    path: str
    params: dict[str, str]  # the form, last value of each name
    lists: dict[str, list[str]] = field(default_factory=dict)  # every value (StatusCallbackEvent repeats)
    status: int = 0  # what the stand-in answered (0: nothing, the connection was dropped)


class TwilioStandin:
    """Twilio's Messages, Calls and Recordings on 127.0.0.1, with faults on demand."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN, hang_seconds: float = 3.0):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.hang_seconds = hang_seconds
        self.sent: list[Seen] = []
        self.faults: list = []
        self.faults_for: dict[str, list] = {}
        self.recordings: dict[str, bytes] = {}
        self.deleted: list[str] = []
        self.lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # -- lifecycle --------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The class that answers each request (a subclass may answer differently)."""
        return _Handler

    def start(self) -> TwilioStandin:
        """Listen on a free port of 127.0.0.1 in a background thread."""
        self._server = QuietServer(("127.0.0.1", 0), self._handler())
        self._server.standin = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # a short poll interval: shutdown() waits up to one interval, in every test
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening, and cut short any request that is hanging."""
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TwilioStandin:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers for tests ------------------------------------------------------------------

    def add_recording(self, audio: bytes | None = None) -> str:
        """Store a recording and return its SID."""
        sid = "RE" + secrets.token_hex(16)
        with self.lock:
            self.recordings[sid] = tiny_wav() if audio is None else audio
        return sid

    def posts(self, resource: str) -> list[Seen]:
        """Return the POSTs to "Messages" or "Calls", in order."""
        with self.lock:
            return [s for s in self.sent if s.method == "POST" and s.path.endswith(f"/{resource}.json")]

    # -- what Twilio does -------------------------------------------------------------------

    def _auth_ok(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def _next_fault(self, to: str):
        with self.lock:
            queue = self.faults_for.get(to)
            if queue:
                return queue.pop(0)
            return self.faults.pop(0) if self.faults else None

    def _create(self, resource: str, params: dict[str, str]) -> tuple[int, dict]:
        """Validate a new message or call as Twilio does, and describe it."""
        to = params.get("To", "")
        if not _E164.fullmatch(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not params.get("From"):
            return _error(400, 21603, "A 'From' phone number is required.")
        if resource == "Messages":
            body = params.get("Body", "")
            if not body:
                return _error(400, 21602, "Message body is required.")
            if len(body) > 1600:
                return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
            prefix = "SM"
        else:
            if not (params.get("Url") or params.get("Twiml")):
                return _error(400, 21205, "Url parameter is required.")
            prefix = "CA"
        sid = prefix + secrets.token_hex(16)
        answer = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": params["From"],
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": "Mon, 16 Aug 2010 03:45:01 +0000",
            "error_code": None,
            "error_message": None,
            "price": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/{resource}/{sid}.json",
        }
        if resource == "Messages":
            answer.update(body=params["Body"], num_segments="1", num_media="0")
        return 201, answer


def _error(status: int, code: int, message: str) -> tuple[int, dict]:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class QuietServer(ThreadingHTTPServer):
    """A stand-in's server: its threads never hold a stop, and a client that gave up is no error."""

    daemon_threads = True  # a hanging request must not hold stop()
    allow_reuse_address = True  # a stand-in switched off may listen on its port again
    standin: object

    def handle_error(self, request, client_address):
        pass  # the client gave up (a timeout test): nothing to report


class QuietHandler(BaseHTTPRequestHandler):
    """A stand-in's request handler, which logs nothing."""

    server: QuietServer

    def log_message(self, format, *args):
        pass

    def send_json(self, status: int, body: object) -> None:
        """Answer `status` with `body` as JSON."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Handler(QuietHandler):
    def do_POST(self):
        twilio = self.server.standin
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        lists = urllib.parse.parse_qs(raw, keep_blank_values=True)
        seen = self._seen({k: v[-1] for k, v in lists.items()}, lists)
        if not twilio._auth_ok(self.headers.get("Authorization", "")):
            return self._json(seen, *_error(401, 20003, "Authenticate"))
        match = _RESOURCE.fullmatch(self.path.split("?")[0])
        if not match or match.group(1) != twilio.account_sid:
            return self._json(seen, *_error(404, 20404, "The requested resource was not found"))
        fault = twilio._next_fault(seen.params.get("To", ""))
        if fault == "reset":
            return self._reset()
        if fault == "hang":
            twilio._stopping.wait(twilio.hang_seconds)
        elif isinstance(fault, int):
            return self._json(seen, *_error(fault, 20000 + fault, "injected fault"))
        elif isinstance(fault, tuple):
            _, status, code = fault
            return self._json(seen, *_error(status, code, "injected fault"))
        self._json(seen, *twilio._create(match.group(2), seen.params))

    def do_GET(self):
        twilio = self.server.standin
        seen, match = self._recording()
        if seen is None:
            return
        with twilio.lock:
            audio = twilio.recordings.get(match.group(2)) if match else None
        if audio is None or match.group(3) == "json":
            return self._json(seen, *_error(404, 20404, "The requested resource was not found"))
        seen.status = 200
        self.send_response(200)
        self.send_header("Content-Type", _AUDIO_TYPES[match.group(3)])
        self.send_header("Content-Length", str(len(audio)))
        self.end_headers()
        self.wfile.write(audio)

    def do_DELETE(self):
        twilio = self.server.standin
        seen, match = self._recording()
        if seen is None:
            return
        with twilio.lock:
            found = bool(match) and match.group(3) == "json" and twilio.recordings.pop(match.group(2), None) is not None
            if found:
                twilio.deleted.append(match.group(2))
        if not found:
            return self._json(seen, *_error(404, 20404, "The requested resource was not found"))
        seen.status = 204
        self.send_response(204)
        self.end_headers()

    def _recording(self) -> tuple[Seen | None, re.Match | None]:
        """A request about a recording, seen: (seen, the path's match), or (None, None) once refused (401)."""
        seen = self._seen({}, {})
        if not self.server.standin._auth_ok(self.headers.get("Authorization", "")):
            self._json(seen, *_error(401, 20003, "Authenticate"))
            return None, None
        return seen, _RECORDING.fullmatch(self.path.split("?")[0])

    def _seen(self, params: dict[str, str], lists: dict[str, list[str]]) -> Seen:
        seen = Seen(self.command, self.path, params, lists)
        with self.server.standin.lock:
            self.server.standin.sent.append(seen)
        return seen

    def _json(self, seen: Seen, status: int, body: dict) -> None:
        seen.status = status
        self.send_json(status, body)

    def _reset(self) -> None:
        # SO_LINGER 0: close() sends a TCP RST instead of a FIN
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
