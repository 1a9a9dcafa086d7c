"""Tests of local/serve.py, the local model server, against a small handler module of the test's own.

The handler module is written to a temporary <base>/model/code/inference.py, the layout SageMaker
gives /opt/ml/model, so these tests do not depend on model-src/.
"""
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "local" / "serve.py"
sys.path.insert(0, str(ROOT / "local"))
import serve  # noqa: E402

HANDLER = (ROOT / "local" / "fixture" / "inference.py").read_text()


def make_model_dir(tmp_path, handler=HANDLER):
    base = tmp_path / "ml"
    (base / "model" / "code").mkdir(parents=True)
    (base / "model" / "fixture").mkdir()
    (base / "model" / "fixture" / "weights.txt").write_text("w-42\n")
    (base / "model" / "code" / "inference.py").write_text(handler)
    return base


def env_for(base, **extra):
    env = {
        "SAGEMAKER_BASE_PATH": str(base),
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": str(base / "model" / "code"),
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture()
def app(tmp_path, monkeypatch):
    base = make_model_dir(tmp_path)
    monkeypatch.delitem(sys.modules, "inference", raising=False)
    server = serve.ModelServer(env_for(base, SAGEMAKER_MODEL_SERVER_TIMEOUT="0.5"))
    yield server
    sys.modules.pop("inference", None)
    if str(base / "model" / "code") in sys.path:
        sys.path.remove(str(base / "model" / "code"))


def call(app, method, path, body=b"", content_type=None, accept=None):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body))}
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if accept is not None:
        environ["HTTP_ACCEPT"] = accept
    seen = {}

    def start_response(status, headers):
        seen["status"] = int(status.split(" ", 1)[0])
        seen["headers"] = dict(headers)

    payload = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], payload


def test_ping_is_503_loading_before_model_fn_ran_and_200_after(app):
    status, _, body = call(app, "GET", "/ping")
    assert (status, json.loads(body)["status"]) == (503, "Loading")
    app.load()
    status, _, body = call(app, "GET", "/ping")
    assert (status, json.loads(body)) == (200, {"status": "Healthy"})


def test_model_fn_gets_the_model_dir_under_the_base_path(app):
    app.load()
    status, _, body = call(app, "POST", "/invocations", b'{"x": 1}', "application/json")
    assert status == 200
    assert json.loads(body)["model"] == "w-42"


def test_json_and_csv_bodies_reach_input_fn_as_text(app):
    app.load()
    for ctype in ("application/json", "text/csv"):
        _, _, body = call(app, "POST", "/invocations", b'1,2', ctype)
        assert json.loads(body)["type"] == "str", ctype


def test_other_content_types_reach_input_fn_as_bytes(app):
    app.load()
    for ctype in ("application/octet-stream", "application/json; charset=utf-8", None):
        _, _, body = call(app, "POST", "/invocations", b"\x00\xff", ctype)
        answer = json.loads(body)
        assert (answer["type"], answer["body"], answer["content_type"]) == ("bytes", "00ff", ctype)


def test_missing_or_any_accept_becomes_application_json(app):
    app.load()
    for accept in (None, "*/*"):
        _, headers, body = call(app, "POST", "/invocations", b"{}", "application/json", accept)
        assert json.loads(body)["accept"] == "application/json"
        assert headers["Content-Type"] == "application/json"


def test_default_accept_comes_from_sagemaker_default_invocations_accept(tmp_path):
    base = make_model_dir(tmp_path)
    sys.modules.pop("inference", None)
    server = serve.ModelServer(env_for(base, SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="application/x-custom"))
    server.load()
    _, _, body = call(server, "POST", "/invocations", b"{}", "application/json", "*/*")
    assert json.loads(body)["accept"] == "application/x-custom"
    sys.modules.pop("inference", None)


def test_an_output_fn_tuple_sets_the_response_content_type(app):
    app.load()
    status, headers, body = call(app, "POST", "/invocations", b"{}", "application/json", "text/plain")
    assert (status, headers["Content-Type"], body) == (200, "text/plain", b"plain text answer")


def test_a_toolkit_error_is_answered_with_its_status_and_message_body(app):
    app.load()
    status, headers, body = call(app, "POST", "/invocations", b"{}", "application/x-unsupported")
    assert status == 415
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "unsupported_content_type"


def test_any_other_exception_is_a_500_naming_the_exception(app):
    app.load()
    status, _, body = call(app, "POST", "/invocations", b'"boom"', "application/json")
    assert status == 500
    assert json.loads(body)["error"]["message"] == "ValueError: boom in predict_fn"


def test_local_append_traceback_adds_the_traceback_like_the_real_toolkit(tmp_path):
    base = make_model_dir(tmp_path)
    sys.modules.pop("inference", None)
    server = serve.ModelServer(env_for(base, LOCAL_APPEND_TRACEBACK="1"))
    server.load()
    status, _, body = call(server, "POST", "/invocations", b"{}", "application/x-unsupported")
    first, rest = body.decode().split("\n", 1)
    assert status == 415 and json.loads(first)["error"]["code"] == "unsupported_content_type"
    assert "Traceback (most recent call last)" in rest
    sys.modules.pop("inference", None)


def test_an_invocation_over_the_time_limit_gets_504_and_the_next_one_succeeds(app):
    app.load()
    started = time.monotonic()
    # The handler sleeps 25 s against the 0.5 s limit: answering well before the sleep ends proves the
    # limit cut it short, with a bound wide enough for a loaded CI machine.
    status, _, body = call(app, "POST", "/invocations", b'{"sleep": 25}', "application/json")
    assert status == 504
    assert "0.5 s" in json.loads(body)["error"]["message"]
    assert time.monotonic() - started < 15
    status, _, _ = call(app, "POST", "/invocations", b"{}", "application/json")
    assert status == 200


def test_invocations_before_the_models_are_loaded_get_503(app):
    status, _, body = call(app, "POST", "/invocations", b"{}", "application/json")
    assert status == 503
    assert json.loads(body)["error"]["code"] == "ModelNotReady"


def test_a_failing_model_fn_keeps_ping_unhealthy_with_the_cause(tmp_path, monkeypatch):
    base = make_model_dir(tmp_path)
    monkeypatch.setenv("FIXTURE_LOAD_FAIL", "1")
    sys.modules.pop("inference", None)
    server = serve.ModelServer(env_for(base))
    server.load()
    status, _, body = call(server, "GET", "/ping")
    assert status == 503
    assert json.loads(body) == {"status": "Unhealthy",
                                "error": "RuntimeError: model file fixture/weights.txt is corrupt"}
    sys.modules.pop("inference", None)


def test_a_missing_handler_module_names_the_path_it_looked_for(tmp_path):
    base = make_model_dir(tmp_path)
    server = serve.ModelServer(env_for(base, SAGEMAKER_PROGRAM="missing.py"))
    server.load()
    assert server.state == "failed"
    assert "code/missing.py" in server.failure and "missing.py" in server.failure


def test_a_handler_module_without_all_four_functions_names_the_missing_ones(tmp_path):
    base = make_model_dir(tmp_path, handler="def model_fn(d):\n    return 1\n")
    sys.modules.pop("inference", None)
    server = serve.ModelServer(env_for(base))
    server.load()
    assert server.failure.endswith("does not define input_fn, predict_fn, output_fn; the local server "
                                   "needs all four handler functions (model_fn, input_fn, predict_fn, output_fn)")
    sys.modules.pop("inference", None)


def test_unknown_routes_get_404_and_get_invocations_405(app):
    assert call(app, "GET", "/nope")[0] == 404
    assert call(app, "GET", "/invocations")[0] == 405


def test_a_non_numeric_timeout_is_refused_with_the_variable_name(tmp_path):
    with pytest.raises(SystemExit, match="SAGEMAKER_MODEL_SERVER_TIMEOUT='abc' is not a number"):
        serve.ModelServer(env_for(make_model_dir(tmp_path), SAGEMAKER_MODEL_SERVER_TIMEOUT="abc"))


# ---- the real process ------------------------------------------------------

@contextlib.contextmanager
def served(base, **extra):
    """serve.py as its own process on a free port: yields (process, port); killed if still running
    and its pipes closed afterwards."""
    env = dict(os.environ, **env_for(base, SAGEMAKER_BIND_TO_PORT="0", **extra))
    proc = subprocess.Popen(["/usr/bin/python3", str(SERVE)], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("LOCAL_SERVE_PORT="), proc.stderr.read().decode()
        yield proc, int(line.strip().split("=", 1)[1])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            pipe.close()


def http(port, method, path, body=None, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_healthy(port, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http(port, "GET", "/ping")[0] == 200:
            return True
        time.sleep(0.05)
    return False


def test_the_process_serves_on_a_free_port_and_stops_on_sigterm(tmp_path):
    base = make_model_dir(tmp_path)
    with served(base, FIXTURE_LOAD_DELAY="0.5") as (proc, port):
        assert http(port, "GET", "/ping")[0] == 503
        assert wait_healthy(port)
        status, body = http(port, "POST", "/invocations", b'{"a": 1}', {"Content-Type": "application/json"})
        assert status == 200 and json.loads(body)["model"] == "w-42"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0


def alive(pid):
    """True while pid runs (a zombie waiting to be reaped counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_the_process_and_its_group_exit_when_its_parent_closes_stdin(tmp_path):
    handler = HANDLER.replace("def model_fn(model_dir):", "def model_fn(model_dir):\n"
                              "    import subprocess\n"
                              "    open(os.path.join(model_dir, 'helper.pid'), 'w').write("
                              "str(subprocess.Popen(['/bin/sleep', '300']).pid))")
    base = make_model_dir(tmp_path, handler=handler)
    with served(base, LOCAL_EXIT_ON_STDIN_CLOSE="1") as (proc, port):
        assert wait_healthy(port)
        helper = int((base / "model" / "helper.pid").read_text())
        proc.stdin.close()
        assert proc.wait(timeout=5) in (0, -signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and alive(helper):
            time.sleep(0.05)
        assert not alive(helper), "the handler's subprocess must not be orphaned"


def test_the_process_logs_the_cause_when_loading_fails(tmp_path):
    base = make_model_dir(tmp_path)
    with served(base, FIXTURE_LOAD_FAIL="1") as (proc, port):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status, body = http(port, "GET", "/ping")
            if json.loads(body)["status"] == "Unhealthy":
                break
            time.sleep(0.05)
        assert status == 503
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        assert "model file fixture/weights.txt is corrupt" in proc.stderr.read().decode()


def test_stuck_invocations_over_the_limit_get_503_server_busy_until_they_finish(tmp_path):
    base = make_model_dir(tmp_path)
    sys.modules.pop("inference", None)
    server = serve.ModelServer(env_for(base, SAGEMAKER_MODEL_SERVER_TIMEOUT="0.2", LOCAL_SERVE_MAX_STUCK="1"))
    server.load()
    assert call(server, "POST", "/invocations", b'{"sleep": 0.8}', "application/json")[0] == 504
    status, _, body = call(server, "POST", "/invocations", b"{}", "application/json")
    assert (status, json.loads(body)["error"]["code"]) == (503, "ServerBusy")
    time.sleep(0.9)
    assert call(server, "POST", "/invocations", b"{}", "application/json")[0] == 200
    sys.modules.pop("inference", None)
