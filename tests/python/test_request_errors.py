"""model-src/code/inference.py answering bad requests: each error's status, code and message, and any JSON
body getting an answer or a 4xx, never an unhandled exception."""
import json

import pytest

import inference
from conftest import MODEL_SRC, error_of, invoke

BLANK = [[0] * 28 for _ in range(28)]


def image_with(value, row=3, col=4):
    img = [list(r) for r in BLANK]
    img[row][col] = value
    return img


# ---------------------------------------------------------------- errors

CASES = [
    # (name, body, content_type, accept, status, code, substring of the message)
    ("unknown model", {"model": "mnist", "inputs": [BLANK]}, None, None, 404, "unknown_model",
     "field 'model' is 'mnist', not a known model; known models: fashion, sentiment"),
    ("malformed JSON", '{"model": "fashion", "inputs": [', None, None, 400, "malformed_json",
     "request body is not valid JSON"),
    ("NaN literal", '{"model": "fashion", "inputs": [NaN]}', None, None, 400, "malformed_json",
     "NaN is not valid JSON; send finite numbers"),
    ("nesting too deep", '{"model": "fashion", "inputs": [' + "[" * 100000 + "]" * 100000 + "]}", None, None, 400,
     "malformed_json", "request body nests lists or objects too deeply to parse"),
    ("non-UTF-8 bytes", b'{"model": "\xff"}', None, None, 400, "malformed_json", "request body is not UTF-8 text"),
    ("body is a list", [1, 2], None, None, 400, "invalid_body", "request body must be a JSON object"),
    ("missing both fields", {}, None, None, 400, "missing_field", "missing field 'model'; missing field 'inputs'"),
    ("missing inputs", {"model": "fashion"}, None, None, 400, "missing_field", "missing field 'inputs'"),
    ("unknown field", {"model": "fashion", "input": [], "inputs": [BLANK]}, None, None, 400, "unknown_field",
     "unknown field(s) 'input'"),
    ("model not a string", {"model": 3, "inputs": [BLANK]}, None, None, 400, "invalid_field",
     "field 'model' must be a string (a model name), got a number"),
    ("inputs not a list", {"model": "sentiment", "inputs": "hi"}, None, None, 400, "invalid_field",
     "field 'inputs' must be a list (a batch; send one input as [input]), got a string"),
    ("empty batch", {"model": "sentiment", "inputs": []}, None, None, 400, "empty_batch",
     "field 'inputs' is an empty list; send 1 to 256 inputs for model 'sentiment'"),
    ("batch over maxBatch", {"model": "sentiment", "inputs": ["a"] * 257}, None, None, 413, "batch_too_large",
     "field 'inputs' holds 257 items but model 'sentiment' accepts at most 256"),
    ("image batch over maxBatch", {"model": "fashion", "inputs": [BLANK] * 257}, None, None, 413, "batch_too_large",
     "accepts at most 256 per request"),
    ("wrong row length", {"model": "fashion", "inputs": [BLANK, [[0] * 27] * 28]}, None, None, 400, "invalid_input",
     "inputs[1][0] has 27 items, expected 28"),
    ("wrong row count", {"model": "fashion", "inputs": [[[0] * 28] * 27]}, None, None, 400, "invalid_input",
     "inputs[0] has 27 items, expected 28"),
    ("unwrapped single image", {"model": "fashion", "inputs": BLANK}, None, None, 400, "invalid_input",
     "inputs looks like ONE input of shape [28, 28]; send a batch: [input]"),
    ("string pixel", {"model": "fashion", "inputs": [image_with("7")]}, None, None, 400, "invalid_input",
     "inputs[0][3][4] is a string, expected a number"),
    ("null pixel", {"model": "fashion", "inputs": [image_with(None)]}, None, None, 400, "invalid_input",
     "inputs[0][3][4] is null, expected a number"),
    ("boolean pixel", {"model": "fashion", "inputs": [image_with(True)]}, None, None, 400, "invalid_input",
     "inputs[0][3][4] is a boolean, expected a number"),
    ("all-boolean image", {"model": "fashion", "inputs": [[[False] * 28] * 28]}, None, None, 400, "invalid_input",
     "inputs[0][0][0] is a boolean, expected a number"),
    ("fractional pixel", {"model": "fashion", "inputs": [image_with(12.5)]}, None, None, 400, "invalid_input",
     "inputs[0][3][4] is 12.5, expected an integer (uint8)"),
    ("pixel above range", {"model": "fashion", "inputs": [BLANK, image_with(256, 27, 27)]}, None, None, 400,
     "invalid_input", "inputs[1][27][27] is 256, expected a value in 0..255"),
    ("negative pixel", {"model": "fashion", "inputs": [image_with(-1)]}, None, None, 400, "invalid_input",
     "inputs[0][3][4] is -1, expected a value in 0..255"),
    ("overflowing number", '{"model": "fashion", "inputs": [[' + ",".join(["[" + ",".join(["1e999"] + ["0"] * 27)
                                                                           + "]"] * 28) + "]]}",
     None, None, 400, "invalid_input", "inputs[0][0][0] is inf, expected a finite number"),
    ("integer beyond 64 bits", {"model": "fashion", "inputs": [image_with(10 ** 30)]}, None, None, 400,
     "invalid_input", "a number is too large to convert (beyond 64-bit range)"),
    ("object in a text batch", {"model": "sentiment", "inputs": [{"text": "hi"}]}, None, None, 400, "invalid_input",
     "inputs[0] is an object, expected a string"),
    ("every pixel out of range", {"model": "fashion", "inputs": [[[256] * 28] * 28]}, None, None, 400,
     "invalid_input", "inputs[0][0][4] is 256, expected a value in 0..255; and 779 more"),
    ("seven numbers in a text batch", {"model": "sentiment", "inputs": list(range(7))}, None, None, 400,
     "invalid_input", "inputs[4] is a number, expected a string; and 2 more"),
    ("number in a text batch", {"model": "sentiment", "inputs": ["ok", 5]}, None, None, 400, "invalid_input",
     "inputs[1] is a number, expected a string"),
    ("text over maxLength", {"model": "sentiment", "inputs": ["x" * 1001]}, None, None, 400, "invalid_input",
     "inputs[0] has 1001 characters, expected at most 1000"),
    ("CSV content type", {"model": "sentiment", "inputs": ["a"]}, "text/csv", None, 415, "unsupported_content_type",
     "Content-Type 'text/csv' is not supported; send application/json"),
    ("no content type", {"model": "sentiment", "inputs": ["a"]}, "", None, 415, "unsupported_content_type",
     "Content-Type '' is not supported"),
    ("CSV accept", {"model": "sentiment", "inputs": ["a"]}, None, "text/csv", 406, "unsupported_accept",
     "Accept 'text/csv' is not supported; accept application/json"),
]


@pytest.mark.parametrize("name,body,ctype,accept,status,code,text", CASES, ids=[c[0] for c in CASES])
def test_a_bad_request_gets_its_status_code_and_a_message_naming_the_field(router, name, body, ctype, accept,
                                                                          status, code, text):
    err = error_of(router, body, "application/json" if ctype is None else ctype,
                   "application/json" if accept is None else accept)
    assert (err.status_code, err.body["error"]["code"]) == (status, code)
    assert text in err.body["error"]["message"]
    assert err.phrase and isinstance(err.phrase, str)


def test_the_error_carries_status_code_message_and_phrase_like_the_toolkit_error():
    err = inference.InferenceError(404, "unknown_model", "no such model")
    assert (err.status_code, err.phrase) == (404, "Not Found")
    assert json.loads(err.message) == {"error": {"code": "unknown_model", "message": "no such model"}}


def test_a_bad_request_does_not_affect_the_next_one(router):
    before = router.cache.resident()
    error_of(router, {"model": "fashion", "inputs": [image_with(999)]})
    error_of(router, '{"model": ')
    out = invoke(router, {"model": "fashion", "inputs": [BLANK]})
    assert len(out["predictions"]) == 1
    assert set(before) <= set(router.cache.resident())


def test_an_invalid_request_is_refused_before_any_model_is_loaded():
    router = inference.model_fn(MODEL_SRC)
    error_of(router, {"model": "sentiment", "inputs": [3]})
    assert router.cache.resident() == ["fashion"]


# ---------------------------------------------------------------- any body: a 4xx or an answer, never a crash

def test_any_json_body_gets_an_answer_or_a_4xx_error_never_an_unhandled_exception(router):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-300, 300), st.floats(allow_nan=False),
                        st.text(max_size=5))
    values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=3), kids,
                                                                                                max_size=2),
                          max_leaves=12)
    bodies = st.one_of(values, st.fixed_dictionaries({"model": st.sampled_from(["fashion", "sentiment", "x"]),
                                                      "inputs": values}))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(bodies)
    def check(body):
        try:
            out = invoke(router, body)
        except inference.InferenceError as e:
            assert 400 <= e.status_code < 500 and json.loads(e.message)["error"]["message"]
        else:
            assert len(out["predictions"]) == len(body["inputs"])
    check()
