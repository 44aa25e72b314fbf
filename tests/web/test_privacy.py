"""No phone number or message body appears in the logs in clear."""

from __future__ import annotations

import http.client
import logging
import threading
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger
from werkzeug.serving import make_server

from hotline import logs
from tests.helpers import CHEN_JIE, TOM, load_roster, numbers_in


def test_a_whole_flow_logs_no_number_or_body_in_clear(app, phone, clock, caplog):
    load_roster(app)
    caplog.set_level(logging.DEBUG)
    [n] = numbers_in(phone(TOM).reply("I need insulin, my secret diagnosis"))
    phone(CHEN_JIE).reply(f"OK {n}")
    phone(TOM).text("STOP")
    logging.getLogger("hotline.test").warning("sending to %s failed", TOM)  # as any module might
    text = caplog.text
    assert TOM not in text and CHEN_JIE not in text and "secret diagnosis" not in text
    assert "+86*******5678#" in text


def test_the_tag_follows_a_number_without_revealing_it():
    a = logs.redact("to +8613912345678", b"k")
    assert a == logs.redact("to +8613912345678", b"k") != logs.redact("to +8613912345678", b"other")
    assert "13912345678" not in a


SEARCHES = ["/simulator/api/feed?phone=%2B8613912345678", "/admin/residents?q=13912345678&page=1"]


def test_the_development_server_logs_requests_without_their_queries(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app)  # the server `flask run` starts
    served = threading.Thread(target=lambda: [server.handle_request() for _ in SEARCHES])
    served.start()
    try:
        for path in SEARCHES:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            connection.request("GET", path, headers={"Referer": f"http://127.0.0.1:{server.port}{path}"})
            connection.getresponse().read()
            connection.close()
    finally:
        served.join()
        server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /simulator/api/feed?... HTTP/1.1" in line for line in lines), lines
    assert any("GET /admin/residents?... HTTP/1.1" in line for line in lines), lines
    assert "13912345678" not in caplog.text and "%2B86" not in caplog.text


def test_gunicorn_s_access_log_keeps_no_query(app, tmp_path):
    config = Config()  # gunicorn's own access log format, as `--access-logfile` turns it on
    config.set("accesslog", str(tmp_path / "access.log"))
    logger = Logger(config)
    path, query = SEARCHES[1].split("?")
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": SEARCHES[1], "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "Mozilla/5.0",
        "HTTP_REFERER": "http://127.0.0.1:8000" + SEARCHES[0],
    }
    response = SimpleNamespace(status="200 OK", sent=1024, headers=[("Content-Type", "text/html")])
    logger.access(response, SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])]), environ,
                  timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.close()
    line = (tmp_path / "access.log").read_text()
    assert '"GET /admin/residents?... HTTP/1.1" 200 1024 "http://127.0.0.1:8000/simulator/api/feed?..."' in line
    assert "13912345678" not in line and "%2B86" not in line
