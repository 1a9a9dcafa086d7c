"""The model server's HTTP side: Python's own ``http.server`` serving a ``ModelServer`` (serve.py).

One thread per connection reads a request, calls ``ModelServer.respond`` (which hands an invocation to
a worker process and waits for its answer) and writes the answer, so a request crosses no thread
hand-off inside the model server. HTTP/1.1 keep-alive; ``TCP_NODELAY`` and one ``send`` per answer
(status line, headers and body together). The body must come with a Content-Length of at most
``MAX_BODY_BYTES`` (411 without one, 413 over it, both closing the connection). A connection idle for
``IDLE_SECONDS`` is closed, and says so in a ``Keep-Alive`` header so a client stops reusing it first.
"""
import logging
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY_BYTES = 64 * 1024 * 1024
IDLE_SECONDS = 120
# the request headers a worker's handler sees, as the container passes them on
FORWARDED_HEADERS = ("Content-Type", "Accept", "X-Amzn-SageMaker-Custom-Attributes")

log = logging.getLogger("serve")


def status_reason(status, reason):
    """The reason phrase of a status line: ``reason`` on one line, or the status's standard phrase when empty."""
    reason = (reason or "").replace("\r", " ").replace("\n", " ").strip()
    if reason:
        return reason
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def answer_bytes(status, reason, content_type, body, extra=(), keep_alive=True):
    """The whole HTTP/1.1 answer as bytes; no Content-Type when ``content_type`` is None."""
    lines = [f"HTTP/1.1 {status} {status_reason(status, reason)}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    lines.extend(f"{k}: {v}" for k, v in extra)
    lines.append(f"Keep-Alive: timeout={IDLE_SECONDS}" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "local-model-server"
    timeout = IDLE_SECONDS

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)

    def _serve(self):
        headers = {name: self.headers.get(name) for name in FORWARDED_HEADERS if self.headers.get(name)}
        refusal = self._body_problem() if self.command == "POST" else None
        if refusal:
            self.close_connection = True
            status, code, message = refusal
            body = f'{{"error": {{"code": "{code}", "message": "{message}"}}}}'.encode()
            self.wfile.write(answer_bytes(status, None, "application/json", body, keep_alive=False))
            return
        length = int(self.headers.get("Content-Length") or 0)
        status, reason, ctype, body, extra = self.server.app.respond(
            self.command, self.path.split("?", 1)[0], headers, lambda: self.rfile.read(length))
        data = answer_bytes(status, reason, ctype, body, extra, keep_alive=not self.close_connection)
        self.wfile.write(data[:len(data) - len(body)] if self.command == "HEAD" else data)

    def _body_problem(self):
        """(status, code, message) when the body cannot be read as this server reads it, else None."""
        if self.headers.get("Transfer-Encoding"):
            return 411, "LengthRequired", "send the body with a Content-Length, not a Transfer-Encoding"
        raw = self.headers.get("Content-Length") or "0"
        if not raw.isdigit():
            return 400, "BadRequest", "Content-Length must be a whole number of bytes"
        if int(raw) > MAX_BODY_BYTES:
            return 413, "PayloadTooLarge", f"the body is larger than {MAX_BODY_BYTES} bytes"
        return None

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve


class ModelHTTPServer(ThreadingHTTPServer):
    """A loopback HTTP server for ``app`` (a ModelServer); ``effective_port`` is the port it listens on."""
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, app, host, port):
        self.app = app
        super().__init__((host, port), RequestHandler)

    @property
    def effective_port(self):
        return self.server_address[1]
