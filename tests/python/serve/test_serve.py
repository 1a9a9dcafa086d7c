"""Tests of local/server/serve.py, the local model server, in-process (its workers are real processes) against
a small handler module of the test's own (serve_fixtures.py): the toolkit's contract, errors, time limits,
the handler's context and workers."""
import json
import logging
import os
import threading
import time

import pytest

from serve_fixtures import app, call, env_for, make_model_dir, model_server  # noqa: F401 (app is a fixture)
import serve  # noqa: E402 (local/server is on sys.path once serve_fixtures is imported)

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
    with pytest.raises(SystemExit, match="SAGEMAKER_MODEL_SERVER_TIMEOUT='nan' must be greater than 0"):
        serve.ModelServer(env_for(make_model_dir(tmp_path / "c"), SAGEMAKER_MODEL_SERVER_TIMEOUT="nan"))
