#!/usr/bin/python3
"""Local stand-in for the SageMaker PyTorch serving container's model server.

Honours the container contract the sagemaker-inference-toolkit implements:

* ``GET /ping``: 200 ``{"status": "Healthy"}`` only once ``model_fn`` has
  returned; 503 while loading and, with the cause, when loading failed.
* ``POST /invocations``: ``input_fn(body, content_type)`` ->
  ``predict_fn(data, model)`` -> ``output_fn(prediction, accept)``.
  ``application/json`` and ``text/csv`` bodies reach ``input_fn`` as ``str``,
  every other type as ``bytes``. A missing or ``*/*`` Accept becomes
  ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` (default ``application/json``).
  An exception carrying ``status_code`` / ``message`` / ``phrase`` (the
  toolkit's ``BaseInferenceToolkitError`` shape) is answered with that status
  and ``message`` as the body; any other exception is a 500.
* Each invocation gets ``SAGEMAKER_MODEL_SERVER_TIMEOUT`` seconds (default 60);
  after that the client gets a 504 JSON error and the server keeps serving.

Environment (as in the container):
  SAGEMAKER_PROGRAM            handler module file, default ``inference.py``
  SAGEMAKER_SUBMIT_DIRECTORY   folder holding it, default ``<model dir>/code``
  SAGEMAKER_BASE_PATH          the model dir is ``<base>/model`` (default /opt/ml)
  SAGEMAKER_BIND_TO_PORT       port, default 8080; 0 picks a free one
  SAGEMAKER_MODEL_SERVER_TIMEOUT  seconds per invocation, default 60 (float ok)
  SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT  default application/json
Local-only:
  LOCAL_SERVE_HOST             bind address, default 127.0.0.1
  LOCAL_SERVE_THREADS          waitress threads, default 8
  LOCAL_SERVE_MAX_STUCK        timed-out invocations still running before new ones get 503, default 4
  LOCAL_SERVE_LOG_LEVEL        logging level, default INFO
  LOCAL_APPEND_TRACEBACK=1     append the traceback to error bodies, as the
                               real toolkit does ("<message>\\n<traceback>")
  LOCAL_EXIT_ON_STDIN_CLOSE=1  exit when stdin closes (the parent died), killing our process
                               group too when we lead it (a handler's subprocesses)

When it listens it prints ``LOCAL_SERVE_PORT=<port>`` on stdout.
"""
import importlib
import inspect
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback

UTF8_TYPES = ("application/json", "text/csv")
ANY = "*/*"

log = logging.getLogger("serve")


def env_float(env, name, default):
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"serve.py: {name}={raw!r} is not a number of seconds")
    if value <= 0:
        raise SystemExit(f"serve.py: {name}={raw!r} must be greater than 0")
    return value


def json_error(code, message):
    return json.dumps({"error": {"code": code, "message": message}})


def call_handler(func, *args, context=None):
    """Calls a handler like the toolkit: with one extra trailing ``context`` arg if it takes one."""
    n = len(inspect.signature(func).parameters)
    if n == len(args):
        return func(*args)
    if n == len(args) + 1:
        return func(*args, context)
    raise TypeError(f"{func.__name__} takes {n} arguments but {len(args)} were given")


def error_status(exc):
    """(status, body, phrase) for an exception, as the toolkit's Transformer answers it."""
    status = getattr(exc, "status_code", None)
    message = getattr(exc, "message", None)
    if isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599 and message is not None:
        phrase = getattr(exc, "phrase", None) or "Error"
        return status, message, str(phrase)
    text = f"{type(exc).__name__}: {exc}"
    return 500, json_error("InternalServerError", text), "Internal Server Error"


def encode_body(result):
    if isinstance(result, (bytes, bytearray)):
        return bytes(result)
    if isinstance(result, str):
        return result.encode("utf-8")
    return json.dumps(result).encode("utf-8")


class ModelServer:
    """Loads the handler module once, in the background, and serves it."""

    HANDLERS = ("model_fn", "input_fn", "predict_fn", "output_fn")

    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        self.program = env.get("SAGEMAKER_PROGRAM", "inference.py")
        base = env.get("SAGEMAKER_BASE_PATH", "/opt/ml")
        self.model_dir = os.path.join(base, "model")
        self.code_dir = env.get("SAGEMAKER_SUBMIT_DIRECTORY") or os.path.join(self.model_dir, "code")
        self.timeout = env_float(env, "SAGEMAKER_MODEL_SERVER_TIMEOUT", 60.0)
        self.default_accept = env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or "application/json"
        self.append_traceback = env.get("LOCAL_APPEND_TRACEBACK") == "1"
        self.max_stuck = int(env.get("LOCAL_SERVE_MAX_STUCK", "4"))
        self.state = "loading"  # loading | ready | failed
        self.failure = None
        self.model = None
        self.fns = {}
        self._stuck = 0
        self._lock = threading.Lock()

    # ---- loading ----------------------------------------------------------
    def load(self):
        started = time.monotonic()
        try:
            module_name = self.program[:-3] if self.program.endswith(".py") else self.program
            path = os.path.join(self.code_dir, module_name + ".py")
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"handler module {path} not found (SAGEMAKER_SUBMIT_DIRECTORY={self.code_dir}, "
                    f"SAGEMAKER_PROGRAM={self.program}); the archive must contain code/{module_name}.py")
            if self.code_dir not in sys.path:
                sys.path.insert(0, self.code_dir)
            module = importlib.import_module(module_name)
            missing = [n for n in self.HANDLERS if not callable(getattr(module, n, None))]
            if missing:
                raise AttributeError(
                    f"{path} does not define {', '.join(missing)}; the local server needs all four "
                    f"handler functions ({', '.join(self.HANDLERS)})")
            self.fns = {n: getattr(module, n) for n in self.HANDLERS}
            self.model = call_handler(self.fns["model_fn"], self.model_dir)
            self.state = "ready"
            log.info("models loaded from %s in %.1f s; /ping is healthy", self.model_dir, time.monotonic() - started)
        except BaseException as exc:  # noqa: BLE001 - any failure must reach /ping and the log
            self.failure = f"{type(exc).__name__}: {exc}"
            self.state = "failed"
            log.error("loading the models failed: %s\n%s", self.failure, traceback.format_exc())

    def start_loading(self):
        threading.Thread(target=self.load, name="model_fn", daemon=True).start()

    # ---- invocation -------------------------------------------------------
    def transform(self, body, content_type, accept):
        if content_type in UTF8_TYPES:
            body = body.decode("utf-8")
        data = call_handler(self.fns["input_fn"], body, content_type)
        prediction = call_handler(self.fns["predict_fn"], data, self.model)
        result = call_handler(self.fns["output_fn"], prediction, accept)
        response_type = accept
        if isinstance(result, tuple):
            result, response_type = result[0], result[1]
        return encode_body(result), response_type

    def invoke(self, body, content_type, accept):
        """Returns (status, reason, content_type, body bytes); never raises."""
        if not accept or accept == ANY:
            accept = self.default_accept
        with self._lock:
            if self._stuck >= self.max_stuck:
                return (503, "Service Unavailable", "application/json", json_error(
                    "ServerBusy", f"{self._stuck} earlier invocations are still running past the "
                    f"{self.timeout:g} s limit; try again later").encode())
        outcome = {}
        done = threading.Event()

        def run():
            try:
                outcome["ok"] = self.transform(body, content_type, accept)
            except BaseException as exc:  # noqa: BLE001
                outcome["error"] = exc
                outcome["trace"] = traceback.format_exc()
            finally:
                done.set()
                if outcome.get("late"):
                    with self._lock:
                        self._stuck -= 1
                    log.warning("an invocation that timed out has finished; its result was dropped")

        threading.Thread(target=run, name="invocation", daemon=True).start()
        if not done.wait(self.timeout):
            with self._lock:
                if not done.is_set():
                    outcome["late"] = True
                    self._stuck += 1
            if outcome.get("late"):
                log.error("invocation exceeded the %g s limit (SAGEMAKER_MODEL_SERVER_TIMEOUT)", self.timeout)
                return (504, "Gateway Timeout", "application/json", json_error(
                    "ModelTimeout", f"the invocation did not finish within {self.timeout:g} s "
                    "(SAGEMAKER_MODEL_SERVER_TIMEOUT)").encode())
        if "ok" in outcome:
            payload, response_type = outcome["ok"]
            return 200, "OK", response_type, payload
        exc = outcome["error"]
        status, message, phrase = error_status(exc)
        if status >= 500:
            log.error("invocation failed with %d: %s\n%s", status, exc, outcome["trace"])
        else:
            log.info("invocation answered %d %s", status, phrase)
        text = message if isinstance(message, str) else encode_body(message).decode("utf-8", "replace")
        if self.append_traceback:
            text = f"{text}\n{outcome['trace']}"
        stripped = text.lstrip()
        ctype = "application/json" if stripped.startswith("{") else "text/plain; charset=utf-8"
        return status, phrase.replace("\r", " ").replace("\n", " "), ctype, text.encode("utf-8")

    # ---- WSGI -------------------------------------------------------------
    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path == "/ping" and method in ("GET", "HEAD"):
            if self.state == "ready":
                return self._reply(start_response, 200, "OK", "application/json", b'{"status": "Healthy"}')
            if self.state == "failed":
                body = json.dumps({"status": "Unhealthy", "error": self.failure}).encode()
                return self._reply(start_response, 503, "Service Unavailable", "application/json", body)
            return self._reply(start_response, 503, "Service Unavailable", "application/json", b'{"status": "Loading"}')
        if path == "/invocations":
            if method != "POST":
                return self._reply(start_response, 405, "Method Not Allowed", "application/json",
                                   json_error("MethodNotAllowed", "use POST /invocations").encode(),
                                   [("Allow", "POST")])
            if self.state != "ready":
                why = f"the models failed to load: {self.failure}" if self.state == "failed" else "the models are still loading"
                return self._reply(start_response, 503, "Service Unavailable", "application/json",
                                   json_error("ModelNotReady", why).encode())
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            body = environ["wsgi.input"].read(length) if length > 0 else environ["wsgi.input"].read()
            status, reason, ctype, payload = self.invoke(
                body, environ.get("CONTENT_TYPE") or None, environ.get("HTTP_ACCEPT") or None)
            return self._reply(start_response, status, reason, ctype, payload)
        return self._reply(start_response, 404, "Not Found", "application/json",
                           json_error("NotFound", f"no route {method} {path}; use GET /ping or POST /invocations").encode())

    @staticmethod
    def _reply(start_response, status, reason, ctype, body, extra=()):
        headers = [("Content-Type", ctype or "application/octet-stream"), ("Content-Length", str(len(body)))]
        start_response(f"{status} {reason or 'Unknown'}", headers + list(extra))
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
        if os.getpgrp() == os.getpid():
            # we lead our own process group (started detached): take the handler's subprocesses with us
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os._exit(0)
    threading.Thread(target=run, name="stdin-watch", daemon=True).start()


def main():
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("LOCAL_SERVE_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        from waitress.server import create_server
    except ImportError:
        raise SystemExit(f"serve.py: waitress is not installed for {sys.executable}; install Debian's python3-waitress "
                         "(sudo apt-get install python3-waitress, or run scripts/ensure-deps.sh)")

    app = ModelServer()
    host = os.environ.get("LOCAL_SERVE_HOST", "127.0.0.1")
    try:
        port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    except ValueError:
        raise SystemExit(f"serve.py: SAGEMAKER_BIND_TO_PORT={os.environ['SAGEMAKER_BIND_TO_PORT']!r} is not a port number")
    threads = int(os.environ.get("LOCAL_SERVE_THREADS", "8"))
    server = create_server(app, host=host, port=port, threads=threads, ident="local-model-server",
                           max_request_body_size=64 * 1024 * 1024)
    if os.environ.get("LOCAL_EXIT_ON_STDIN_CLOSE") == "1":
        watch_stdin()

    def stop(signum, _frame):
        log.info("signal %d: stopping", signum)
        try:
            server.close()
        finally:
            os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("listening on http://%s:%d (model dir %s, handler %s/%s, timeout %g s)",
             host, int(server.effective_port), app.model_dir, app.code_dir, app.program, app.timeout)
    print(f"LOCAL_SERVE_PORT={int(server.effective_port)}", flush=True)
    app.start_loading()
    server.run()


if __name__ == "__main__":
    main()
