#!/usr/bin/python3
"""One worker process of the local model server (local/server/serve.py starts it), like one TorchServe
worker: loads the handler module and its models once (model_fn, with a context carrying this
worker's gpu_id), then serves one request at a time through local/server/dispatch.py.

Protocol on stdin/stdout (stdout is moved to a private descriptor first, so a handler's print()
goes to stderr): frames of ``!II`` (header length, body length) + JSON header + body bytes.
  worker -> server, once:  {"event": "loaded", "seconds": s} | {"event": "failed", "error": text}
  server -> worker:        {"headers": {...}} + request body
  worker -> server:        {"status": n, "phrase": str|null, "content_type": str|null} + body
The worker exits when stdin closes (the server is gone).

Polling: with ``LOCAL_SERVE_POLL_MS`` > 0 (serve.py checks it; ``npm start`` sets a default), a worker that
answered a request polls stdin for the next one for up to that many ms before it sleeps in ``read``, as long
as requests keep coming within that window (a client sending one after another); after a longer gap it
sleeps at once until requests come back to back again. A CPU that sleeps between requests runs the next
handler call measurably slower (caches and the CPU itself go cold); polling spends at most the window's CPU
per request for that, and never while requests wait in line or the endpoint is idle.

Usage: serve_worker.py MODEL_DIR SLOT [GPU_ID]
"""
import json
import logging
import os
import select
import signal
import struct
import sys
import time

HEAD = struct.Struct("!II")
POLL_ENV = "LOCAL_SERVE_POLL_MS"


def read_exactly(fd, n):
    chunks, left = [], n
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    head = read_exactly(fd, HEAD.size)
    if head is None:
        return None, None
    hlen, blen = HEAD.unpack(head)
    header = read_exactly(fd, hlen)
    body = read_exactly(fd, blen) if blen else b""
    if header is None or body is None:
        return None, None
    return json.loads(header), body


def write_frame(fd, header, body=b""):
    data = json.dumps(header).encode()
    payload = HEAD.pack(len(data), len(body)) + data + body
    while payload:
        payload = payload[os.write(fd, payload):]


def poll_limit(environ):
    """The polling window in seconds from LOCAL_SERVE_POLL_MS (validated by serve.py); 0 when unset."""
    raw = environ.get(POLL_ENV, "").strip()
    return float(raw) / 1000 if raw else 0.0


def next_window(limit, gap):
    """The polling window before the next request, given the gap between the last answer and the request
    after it: the whole limit while requests come within it, none after a longer gap."""
    return limit if gap <= limit else 0.0


def await_request(fd, window, clock=time.monotonic):
    """Polls ``fd`` without sleeping for up to ``window`` seconds; True when something is there to read."""
    end = clock() + window
    while not select.select([fd], [], [], 0)[0]:
        if clock() >= end:
            return False
    return True


def serve(handler, fd_in, fd_out, limit):
    """Answers requests until ``fd_in`` closes (see Polling above)."""
    window, answered = 0.0, None
    while True:
        if window > 0:
            await_request(fd_in, window)
        header, body = read_frame(fd_in)
        if header is None:
            return
        if answered is not None:
            window = next_window(limit, time.monotonic() - answered)
        status, phrase, content_type, payload = handler.invoke(body, header.get("headers", {}))
        write_frame(fd_out, {"status": status, "phrase": phrase, "content_type": content_type}, payload)
        answered = time.monotonic()


def main(argv):
    model_dir, slot = argv[1], argv[2]
    for sig in (signal.SIGTERM, signal.SIGINT):  # the server decides when a worker goes (it kills it)
        signal.signal(sig, lambda *_: None)  # a handler, not SIG_IGN: a subprocess must not inherit it
    gpu_id = int(argv[3]) if len(argv) > 3 and argv[3] != "" else None
    out = os.dup(1)  # the protocol's descriptor; fd 1 becomes stderr for everything else
    os.dup2(2, 1)
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("LOCAL_SERVE_LOG_LEVEL", "INFO"),
                        format=f"%(asctime)s %(levelname)s worker-{slot} %(name)s: %(message)s")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from dispatch import Handler

    started = time.monotonic()
    handler = Handler(model_dir, gpu_id)
    try:
        handler.load()
    except BaseException as exc:  # noqa: BLE001 - reported to the server, which reports it on /ping
        logging.getLogger("worker").exception("loading the models failed")
        write_frame(out, {"event": "failed", "error": f"{type(exc).__name__}: {exc}"})
        return 1
    write_frame(out, {"event": "loaded", "seconds": round(time.monotonic() - started, 3)})
    serve(handler, 0, out, poll_limit(os.environ))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
