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

Usage: serve_worker.py MODEL_DIR SLOT [GPU_ID]
"""
import json
import logging
import os
import signal
import struct
import sys
import time

HEAD = struct.Struct("!II")


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
    while True:
        header, body = read_frame(0)
        if header is None:
            return 0
        status, phrase, content_type, payload = handler.invoke(body, header.get("headers", {}))
        write_frame(out, {"status": status, "phrase": phrase, "content_type": content_type}, payload)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
