#!/usr/bin/python3
"""Local stand-in for the SageMaker PyTorch serving container's model server (TorchServe + the
serving toolkit), for one model directory (what the container has in /opt/ml/model).

* ``SAGEMAKER_MODEL_SERVER_WORKERS`` worker processes (local/server/workers.py, local/server/serve_worker.py),
  each loading the models itself (``model_fn`` with a context carrying its gpu_id) and serving one
  request at a time through the toolkit's dispatch (local/server/dispatch.py: ``transform_fn`` or
  input_fn -> predict_fn -> output_fn, the status a handler sets on the context, the toolkit's
  ``"<message>\\n<traceback>"`` answer without Content-Type for a raised exception).
* ``GET /ping``: 200 ``{"status": "Healthy"}`` once every worker has loaded the models; 503
  ``{"status": "Loading"}`` before, ``{"status": "Unhealthy", "error": ...}`` when one failed.
* ``POST /invocations``: waits for a free worker. A worker that takes longer than
  ``SAGEMAKER_MODEL_SERVER_TIMEOUT`` seconds is killed and replaced (the replacement reloads the
  models); the request gets TorchServe's 500 ``Worker died.`` JSON answer.

Usage: serve.py [--model-dir DIR]   (default ``$SAGEMAKER_BASE_DIR/model``, SAGEMAKER_BASE_DIR default /opt/ml)

Environment (as in the container):
  SAGEMAKER_PROGRAM                 handler module in <model dir>/code, default ``inference.py``
  SAGEMAKER_BIND_TO_PORT            port, default 8080; 0 picks a free one
  SAGEMAKER_MODEL_SERVER_TIMEOUT    seconds per invocation, default 60 (a float is accepted here)
  SAGEMAKER_MODEL_SERVER_WORKERS    worker processes, default 1 here (see docs/local-vs-container.md)
  SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT  default application/json
Local-only:
  LOCAL_SERVE_GPU_COUNT        GPUs to hand out round-robin as gpu_id (default: nvidia-smi's count, 0 without)
  LOCAL_SERVE_LOG_LEVEL        logging level, default INFO
  LOCAL_EXIT_ON_STDIN_CLOSE=1  exit when stdin closes (the parent died), killing our process
                               group too when we lead it (the workers, a handler's subprocesses)
  LOCAL_ORPHAN_CLEANUP_DIR     with the above: a temporary folder the dead parent owned
                               (the extracted archive); removed before exiting

HTTP is Python's own http.server (local/server/http_front.py: a thread per connection, keep-alive).
The model server binds to 127.0.0.1 only. When it listens it prints ``LOCAL_SERVE_PORT=<port>``
on stdout, and ``LOCAL_SERVE_WORKER=<slot>:<pid>`` for every worker process it starts.
"""
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workers import WorkerPool  # noqa: E402

HOST = "127.0.0.1"
log = logging.getLogger("serve")


def env_number(env, name, default, kind=float):
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SystemExit(f"serve.py: {name}={raw!r} is not a {'whole ' if kind is int else ''}number")
    if not value > 0:  # also refuses nan
        raise SystemExit(f"serve.py: {name}={raw!r} must be greater than 0")
    return value


def json_error(code, message):
    return json.dumps({"error": {"code": code, "message": message}})


def gpu_count(env):
    if env.get("LOCAL_SERVE_GPU_COUNT", "").strip():
        return int(env["LOCAL_SERVE_GPU_COUNT"])
    if not shutil.which("nvidia-smi"):
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def announce(worker):
    print(f"LOCAL_SERVE_WORKER={worker.slot}:{worker.proc.pid}", flush=True)


class ModelServer:
    """The WSGI app: /ping and /invocations in front of a WorkerPool."""

    def __init__(self, environ=None, model_dir=None, on_worker=announce):
        env = os.environ if environ is None else dict(os.environ, **environ)
        self.model_dir = model_dir or os.path.join(env.get("SAGEMAKER_BASE_DIR", "/opt/ml"), "model")
        self.timeout = env_number(env, "SAGEMAKER_MODEL_SERVER_TIMEOUT", 60.0)
        self.worker_count = env_number(env, "SAGEMAKER_MODEL_SERVER_WORKERS", 1, int)
        self.pool = WorkerPool(self.model_dir, self.worker_count, self.timeout, gpu_count(env), on_worker, env=dict(env))

    @property
    def state(self):
        return self.pool.status()[0]

    @property
    def failure(self):
        return self.pool.status()[1]

    def start_loading(self):
        self.pool.start()

    def load(self, seconds=120):
        """Starts the workers and waits until all have loaded (or one failed). For tests."""
        self.pool.start()
        for _ in range(int(seconds * 20)):
            if self.state != "loading":
                return
            threading.Event().wait(0.05)

    def close(self):
        self.pool.close()

    def respond(self, method, path, headers, read_body):
        """(status, reason, content type or None, body, extra headers) of one request. ``headers`` holds
        Content-Type, Accept and X-Amzn-SageMaker-Custom-Attributes when sent; ``read_body()`` returns
        the request body (called only for an invocation that a worker will take)."""
        if path == "/ping" and method in ("GET", "HEAD"):
            state, failure = self.pool.status()
            if state == "ready":
                return 200, "OK", "application/json", b'{"status": "Healthy"}', ()
            body = {"status": "Unhealthy", "error": failure} if state == "failed" else {"status": "Loading"}
            return 503, "Service Unavailable", "application/json", json.dumps(body).encode(), ()
        if path == "/invocations":
            if method != "POST":
                return (405, "Method Not Allowed", "application/json",
                        json_error("MethodNotAllowed", "use POST /invocations").encode(), [("Allow", "POST")])
            state, failure = self.pool.status()
            if state != "ready":
                why = f"the models failed to load: {failure}" if state == "failed" else "the models are still loading"
                return 503, "Service Unavailable", "application/json", json_error("ModelNotReady", why).encode(), ()
            return self.pool.invoke(read_body(), headers) + ((),)
        return (404, "Not Found", "application/json",
                json_error("NotFound", f"no route {method} {path}; use GET /ping or POST /invocations").encode(), ())

    def __call__(self, environ, start_response):
        """The same answers as a WSGI application (the tests call it in-process)."""
        from http_front import FORWARDED_HEADERS, status_reason  # loaded with the HTTP side (see main)
        keys = {name: "CONTENT_TYPE" if name == "Content-Type" else "HTTP_" + name.upper().replace("-", "_")
                for name in FORWARDED_HEADERS}  # PEP 3333's environ names
        headers = {name: environ[key] for name, key in keys.items() if environ.get(key)}

        def read_body():
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            return environ["wsgi.input"].read(length) if length > 0 else environ["wsgi.input"].read()

        status, reason, ctype, body, extra = self.respond(
            environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""), headers, read_body)
        out = [("Content-Length", str(len(body)))]
        if ctype:  # the toolkit's error answers have no Content-Type
            out.insert(0, ("Content-Type", ctype))
        start_response(f"{status} {status_reason(status, reason)}", out + list(extra))
        return [body]


def watch_stdin():
    """Exits when stdin reaches EOF: the parent that started us is gone."""
    def run():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except Exception:  # noqa: BLE001
            pass
        log.warning("stdin closed: the parent process is gone; exiting")
        leftover = os.environ.get("LOCAL_ORPHAN_CLEANUP_DIR")
        if leftover:
            shutil.rmtree(leftover, ignore_errors=True)
        if os.getpgrp() == os.getpid():
            # we lead our own process group (started detached): take the handler's subprocesses with us
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os._exit(0)
    threading.Thread(target=run, name="stdin-watch", daemon=True).start()


def main():
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("LOCAL_SERVE_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = sys.argv[1:]
    model_dir = None
    if args[:1] == ["--model-dir"] and len(args) == 2:
        model_dir = os.path.abspath(args[1])
    elif args:
        raise SystemExit("usage: serve.py [--model-dir DIR]")
    app = ModelServer(model_dir=model_dir)
    try:
        port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    except ValueError:
        raise SystemExit(f"serve.py: SAGEMAKER_BIND_TO_PORT={os.environ['SAGEMAKER_BIND_TO_PORT']!r} is not a port number")
    server = None

    def stop(signum, _frame):
        log.info("signal %d: stopping", signum)
        try:
            if server is not None:
                server.socket.close()
            app.pool.kill_now()  # no waiting: in-flight requests see the connection close, as on a stopped container
        finally:
            os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if os.environ.get("LOCAL_EXIT_ON_STDIN_CLOSE") == "1":
        watch_stdin()
    # the workers load the models (seconds: importing torch) while this process imports and binds its HTTP side
    app.start_loading()
    from http_front import ModelHTTPServer
    try:
        server = ModelHTTPServer(app, HOST, port)
    except OSError as e:
        app.pool.kill_now()
        raise SystemExit(f"serve.py: cannot listen on {HOST}:{port}: {e.strerror or e}; "
                         "choose another SAGEMAKER_BIND_TO_PORT (0 picks a free one)")
    log.info("listening on http://%s:%d (model dir %s, %d worker(s), timeout %g s)",
             HOST, int(server.effective_port), app.model_dir, app.worker_count, app.timeout)
    print(f"LOCAL_SERVE_PORT={int(server.effective_port)}", flush=True)
    server.serve_forever()

if __name__ == "__main__":
    main()
