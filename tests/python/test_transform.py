"""inference.transform_fn, the one per-request entry point the toolkit calls: request errors are
answered as one JSON document with their status set on the TorchServe context, never raised."""
import json
import logging

import pytest

import inference
import stages


class FakeContext:
    """Stand-in for ts.context.Context: records set_response_status (the real one is exercised by
    `npm run test:container` against TorchServe's own Context)."""

    def __init__(self):
        self.statuses = []

    def set_response_status(self, code=200, phrase="", idx=0):
        self.statuses.append((code, phrase, idx))


def test_the_module_defines_transform_fn_and_none_of_the_functions_the_toolkit_refuses_beside_it():
    assert callable(inference.model_fn) and callable(inference.transform_fn)
    for name in ("input_fn", "predict_fn", "output_fn"):
        assert not hasattr(inference, name), name


def test_a_valid_request_returns_the_same_body_as_the_three_stages_and_sets_no_status(router):
    body = json.dumps({"model": "sentiment", "inputs": ["great", "awful"]})
    ctx = FakeContext()
    got = inference.transform_fn(router, body, "application/json", "application/json", ctx)
    staged = stages.output_fn(stages.predict_fn(stages.input_fn(body, "application/json"), router), "application/json")
    assert got == staged and got[1] == "application/json"
    assert ctx.statuses == []


@pytest.mark.parametrize("body,ctype,accept,status,code", [
    ("{not json", "application/json", "application/json", 400, "malformed_json"),
    ('{"model": "nope", "inputs": ["x"]}', "application/json", "application/json", 404, "unknown_model"),
    ('{"model": "sentiment", "inputs": ["x"]}', "text/plain", "application/json", 415, "unsupported_content_type"),
    ('{"model": "sentiment", "inputs": ["x"]}', "application/json", "text/csv", 406, "unsupported_accept"),
    (json.dumps({"model": "sentiment", "inputs": ["x"] * 257}), "application/json", "application/json", 413,
     "batch_too_large"),
])
def test_a_client_error_is_one_json_document_with_its_status_on_the_context_and_one_warning_line(
        router, caplog, body, ctype, accept, status, code):
    ctx = FakeContext()
    with caplog.at_level(logging.INFO, logger="inference"):
        answer, answer_type = inference.transform_fn(router, body, ctype, accept, ctx)
    assert answer_type == "application/json"
    parsed = json.loads(answer)
    assert set(parsed) == {"error"} and set(parsed["error"]) == {"code", "message"}
    assert parsed["error"]["code"] == code
    assert "Traceback" not in answer
    assert [(c, i) for c, _, i in ctx.statuses] == [(status, 0)]
    assert "\n" not in ctx.statuses[0][1] and ctx.statuses[0][1]
    records = [r for r in caplog.records if r.name == "inference"]
    assert [r.levelname for r in records] == ["WARNING"]
    assert records[0].exc_info is None and "\n" not in records[0].getMessage()


def test_an_unexpected_exception_is_a_500_json_error_logged_at_error(caplog):
    class Broken:
        def predict(self, request):
            raise RuntimeError("a bug")
    ctx = FakeContext()
    with caplog.at_level(logging.INFO, logger="inference"):
        answer, answer_type = inference.transform_fn(
            Broken(), '{"model": "m", "inputs": []}', "application/json", None, ctx)
    assert answer_type == "application/json"
    assert json.loads(answer) == {"error": {"code": "internal_error", "message": "RuntimeError: a bug"}}
    assert [c for c, _, _ in ctx.statuses] == [500]
    assert "ERROR" in [r.levelname for r in caplog.records if r.name == "inference"]


def test_without_a_context_the_error_is_raised_with_its_status(router):
    with pytest.raises(inference.InferenceError) as info:
        inference.transform_fn(router, "{", "application/json", "application/json")
    assert info.value.status_code == 400 and info.value.code == "malformed_json"
