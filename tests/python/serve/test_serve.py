"""Tests of local/server/serve.py, the local model server, against a small handler module of the test's own.

The handler module is written to a temporary <base>/model/code/inference.py, the layout SageMaker
gives /opt/ml/model, so these tests do not depend on model-src/.
"""
import contextlib
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "local" / "server" / "serve.py"
sys.path.insert(0, str(ROOT / "local" / "server"))
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
    env = {"SAGEMAKER_BASE_DIR": str(base), "SAGEMAKER_PROGRAM": "inference.py"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextlib.contextmanager
def model_server(base, **extra):
    """An in-process ModelServer (its workers are real processes); closed afterwards."""
    server = serve.ModelServer(env_for(base, **extra), on_worker=lambda worker: None)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture()
def app(tmp_path):
    with model_server(make_model_dir(tmp_path), SAGEMAKER_MODEL_SERVER_TIMEOUT="0.5") as server:
        yield server


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


def test_model_fn_gets_the_model_dir_under_the_base_dir(app):
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
    with model_server(make_model_dir(tmp_path), SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="application/x-custom") as server:
        server.load()
        _, _, body = call(server, "POST", "/invocations", b"{}", "application/json", "*/*")
        assert json.loads(body)["accept"] == "application/x-custom"


def test_an_output_fn_tuple_sets_the_response_content_type(app):
    app.load()
    status, headers, body = call(app, "POST", "/invocations", b"{}", "application/json", "text/plain")
    assert (status, headers["Content-Type"], body) == (200, "text/plain", b"plain text answer")


def test_a_raised_toolkit_error_gets_its_status_the_message_and_traceback_and_no_content_type(app):
    app.load()
    status, headers, body = call(app, "POST", "/invocations", b"{}", "application/x-unsupported")
    first, rest = body.decode().split("\n", 1)
    assert status == 415 and "Content-Type" not in headers
    assert json.loads(first)["error"]["code"] == "unsupported_content_type"
    assert rest.startswith("Traceback (most recent call last):")


def test_any_other_exception_is_a_500_with_its_text_and_traceback_and_no_content_type(app):
    app.load()
    status, headers, body = call(app, "POST", "/invocations", b'"boom"', "application/json")
    assert status == 500 and "Content-Type" not in headers
    assert body.decode().startswith("boom in predict_fn\nTraceback (most recent call last):")


def test_an_invocation_over_the_time_limit_kills_and_replaces_its_worker_and_the_next_one_succeeds(app, caplog):
    app.load()
    before = app.pool.pids()
    started = time.monotonic()
    # The handler sleeps 25 s against the 0.5 s limit: answering well before the sleep ends proves the
    # limit cut it short, with a bound wide enough for a loaded CI machine.
    with caplog.at_level(logging.INFO, logger="serve"):
        status, headers, body = call(app, "POST", "/invocations", b'{"sleep": 25}', "application/json")
        assert (status, headers["Content-Type"]) == (500, "application/json")
        assert json.loads(body) == {"code": 500, "type": "InternalServerException", "message": "Worker died."}
        assert time.monotonic() - started < 15
        status, _, _ = call(app, "POST", "/invocations", b"{}", "application/json")
    assert status == 200
    assert app.pool.pids() != before and len(app.pool.pids()) == 1
    text = caplog.text
    assert "did not answer within 0.5 s (SAGEMAKER_MODEL_SERVER_TIMEOUT): killed and replaced" in text
    assert f"replacing pid {before[0]}, which was killed" in text


def test_invocations_before_the_models_are_loaded_get_503(app):
    status, _, body = call(app, "POST", "/invocations", b"{}", "application/json")
    assert status == 503
    assert json.loads(body)["error"]["code"] == "ModelNotReady"


def test_a_failing_model_fn_keeps_ping_unhealthy_with_the_cause(tmp_path, monkeypatch):
    monkeypatch.setenv("FIXTURE_LOAD_FAIL", "1")
    with model_server(make_model_dir(tmp_path)) as server:
        server.load()
        status, _, body = call(server, "GET", "/ping")
    assert status == 503
    assert json.loads(body) == {"status": "Unhealthy",
                                "error": "RuntimeError: model file fixture/weights.txt is corrupt"}


def test_a_missing_handler_module_names_the_path_it_looked_for(tmp_path):
    with model_server(make_model_dir(tmp_path), SAGEMAKER_PROGRAM="missing.py") as server:
        server.load()
        assert server.state == "failed"
        assert "code/missing.py" in server.failure


def test_a_handler_module_without_transform_fn_or_the_three_stages_names_the_missing_ones(tmp_path):
    with model_server(make_model_dir(tmp_path, handler="def model_fn(d):\n    return 1\n")) as server:
        server.load()
        assert "does not define input_fn, predict_fn, output_fn; the local server does not reproduce the " \
               "toolkit's default handlers" in server.failure


def test_transform_fn_beside_input_fn_is_refused_with_the_toolkits_value_error(tmp_path):
    handler = "def model_fn(d):\n    return 1\ndef transform_fn(m, b, c, a):\n    return b\ndef input_fn(b, c):\n    return b\n"
    with model_server(make_model_dir(tmp_path, handler=handler)) as server:
        server.load()
        assert server.failure == ("ValueError: Cannot use transform_fn implementation in conjunction with "
                                  "input_fn, predict_fn, and/or output_fn implementation")


CONTEXT_HANDLER = """
import json, os, time
def model_fn(model_dir, context):
    return {"gpu_id": context.system_properties["gpu_id"], "pid": os.getpid(), "loaded_at": time.time()}
def transform_fn(model, body, content_type, accept, context):
    req = json.loads(body)
    time.sleep(req.get("sleep", 0))
    if "status" in req:
        context.set_response_status(req["status"], "Custom Phrase")
    return json.dumps(dict(model, headers=context.get_all_request_header(0))), "application/json"
"""


def test_transform_fn_gets_the_context_whose_status_is_honoured_and_model_fn_gets_gpu_id_none_on_cpu(tmp_path):
    with model_server(make_model_dir(tmp_path, handler=CONTEXT_HANDLER), LOCAL_SERVE_GPU_COUNT="0") as server:
        server.load()
        status, headers, body = call(server, "POST", "/invocations", b'{"status": 418}', "application/json")
        answer = json.loads(body)
        assert (status, headers["Content-Type"]) == (418, "application/json")
        assert answer["gpu_id"] is None and answer["headers"]["Content-Type"] == "application/json"


def test_workers_get_gpu_ids_round_robin_when_gpus_are_counted(tmp_path):
    with model_server(make_model_dir(tmp_path, handler=CONTEXT_HANDLER), LOCAL_SERVE_GPU_COUNT="2",
                      SAGEMAKER_MODEL_SERVER_WORKERS="3") as server:
        assert [w.gpu_id for w in server.pool.workers] == []
        server.load()
        assert [w.gpu_id for w in server.pool.workers] == [0, 1, 0]


def test_two_workers_each_load_the_models_and_serve_one_request_at_a_time(tmp_path):
    with model_server(make_model_dir(tmp_path, handler=CONTEXT_HANDLER), SAGEMAKER_MODEL_SERVER_WORKERS="2") as server:
        server.load()
        pids = server.pool.pids()
        assert len(set(pids)) == 2 and os.getpid() not in pids
        results = []

        def one():
            t = time.monotonic()
            _, _, body = call(server, "POST", "/invocations", b'{"sleep": 1}', "application/json")
            results.append((json.loads(body)["pid"], time.monotonic() - t))

        threads = [threading.Thread(target=one) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted({pid for pid, _ in results}) == sorted(pids), "each worker answered with its own models"
        waited = sorted(seconds for _, seconds in results)
        assert waited[1] < 1.9 and waited[2] >= 1.9, f"two ran at once, the third waited for a worker: {waited}"


def test_unknown_routes_get_404_and_get_invocations_405(app):
    assert call(app, "GET", "/nope")[0] == 404
    assert call(app, "GET", "/invocations")[0] == 405


def test_non_numeric_settings_are_refused_with_the_variable_name(tmp_path):
    with pytest.raises(SystemExit, match="SAGEMAKER_MODEL_SERVER_TIMEOUT='abc' is not a number"):
        serve.ModelServer(env_for(make_model_dir(tmp_path), SAGEMAKER_MODEL_SERVER_TIMEOUT="abc"))
    with pytest.raises(SystemExit, match="SAGEMAKER_MODEL_SERVER_WORKERS='1.5' is not a whole number"):
        serve.ModelServer(env_for(make_model_dir(tmp_path / "b"), SAGEMAKER_MODEL_SERVER_WORKERS="1.5"))


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
