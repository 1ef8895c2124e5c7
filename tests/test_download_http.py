"""The pooch-based download over real HTTP: a transient server error is retried, a 404 gives the one-line
DataUnavailableError, and the checksum still guards what lands at the destination."""
from __future__ import annotations

import hashlib
import http.server
import importlib
import threading

import pytest

dl = importlib.import_module("robustbook.data.download")

PAYLOAD = b"an archive in the official format\n" * 100


class _Handler(http.server.BaseHTTPRequestHandler):
    failures_left = 0
    hits = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hits += 1
        if self.path != "/set.tar":
            self.send_error(404)
            return
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self.send_error(503)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.hits, _Handler.failures_left = 0, 0
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_transient_server_error_is_retried(server, tmp_path):
    _Handler.failures_left = 1
    dest = tmp_path / "d" / "set.tar"
    assert dl.download(f"{server}/set.tar", dest, hashlib.sha256(PAYLOAD).hexdigest()) == dest
    assert dest.read_bytes() == PAYLOAD and _Handler.hits == 2
    assert sorted(p.name for p in dest.parent.iterdir()) == ["set.tar"], "no temporary file is left"


def test_a_missing_file_is_one_clear_error_after_the_retries(server, tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "RETRIES", 1)
    dest = tmp_path / "set.tar"
    with pytest.raises(dl.DataUnavailableError, match=r"download of .*/nothing.tar failed.*place it at") as err:
        dl.download(f"{server}/nothing.tar", dest, None)
    assert "\n" not in str(err.value) and _Handler.hits == 2 and not dest.exists()
    assert not list(tmp_path.iterdir())


def test_a_wrong_payload_over_http_is_moved_aside(server, tmp_path):
    dest = tmp_path / "set.tar"
    with pytest.raises(dl.DataUnavailableError, match="checksum mismatch.*moved aside"):
        dl.download(f"{server}/set.tar", dest, hashlib.sha256(b"the pinned archive").hexdigest())
    assert not dest.exists() and [p.read_bytes() for p in tmp_path.glob("set.tar.corrupt-*")] == [PAYLOAD]
