#!/usr/bin/python3
"""A stand-in model server for `npm run bench:serve`: the model server's own HTTP side (local/server/http_front.py)
with a handler that only keeps the CPU busy, so the bench can measure what the request path itself costs on this
machine when the handler takes a given time.

A ``POST /invocations`` body is read whole, then the stand-in busy-waits for the time set for a body of that length
(a loop on ``time.perf_counter``: it holds the CPU and the GIL, as a CPU-bound handler does) and answers the answer set
for it: 200, ``application/json``. There is no worker process, so the path it closes (the SDK, the runtime API, its
hop and this HTTP side) is a lower bound of the model server's. The bench sets each payload's figures with one command
per line on stdin, ``{"length": bytes, "busy_ms": ms, "answer": text}``, answered ``{"ok": true}``. A body of a length
nothing was set for gets 500 and a message saying so.

Prints ``{"port": N}`` once it listens on 127.0.0.1 (a free port). Exits when stdin closes.

Usage: standin.py   (the bench starts it; see scripts/bench/serveBench/standinPath.ts)
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "local", "server"))
from http_front import ModelHTTPServer  # noqa: E402 - the model server's HTTP side, from local/server
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from pycli import cli_parser  # noqa: E402 - scripts/pycli.py


def busy_wait(seconds):
    """Keeps the CPU busy for ``seconds`` of wall time."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


class StandIn:
    """The app http_front serves: busy for the time set for the body's length, then that length's answer."""

    def __init__(self):
        self.by_length = {}

    def set(self, length, busy_ms, answer):
        self.by_length[int(length)] = (float(busy_ms) / 1000, answer.encode())

    def respond(self, method, path, headers, read_body):
        if method != "POST" or path != "/invocations":
            return 404, None, "application/json", b'{"error": "the stand-in serves POST /invocations only"}', ()
        body = read_body()
        entry = self.by_length.get(len(body))
        if entry is None:
            return 500, None, "application/json", json.dumps(
                {"error": f"no answer set for a body of {len(body)} bytes"}).encode(), ()
        busy_wait(entry[0])
        return 200, None, "application/json", entry[1], ()


def parse_args(argv):
    return cli_parser("The stand-in model server of npm run bench:serve (started by the bench).",
                      'examples:\n  echo \'{"length": 7, "busy_ms": 10, "answer": "{}"}\' | '
                      '/usr/bin/python3 scripts/bench/serveBench/standin.py', prog="standin.py").parse_args(argv[1:])


def main(argv):
    parse_args(argv)
    app = StandIn()
    server = ModelHTTPServer(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    print(json.dumps({"port": server.effective_port}), flush=True)
    for line in sys.stdin:
        if line.strip():
            command = json.loads(line)
            app.set(command["length"], command["busy_ms"], command["answer"])
            print(json.dumps({"ok": True}), flush=True)
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv)
