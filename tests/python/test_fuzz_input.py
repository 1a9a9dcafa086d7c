"""Property-based fuzzing (Debian's python3-hypothesis) of the request path of
model-src/code/inference.py: arbitrary JSON, text and bytes given to ``input_fn`` never raise
anything but the error contract's exception with a 4xx status and a JSON body, and valid random
requests are accepted. Deterministic (derandomize) and bounded, so it stays fast."""
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import inference
import stages
from mme.inputs import validate_inputs
from mme.manifest import read_manifest
from conftest import MODEL_SRC

FUZZ = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(max_examples=25, derandomize=True, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SPECS = read_manifest(MODEL_SRC)
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain",
                 "text/csv", "application/octet-stream", "application/x-npy", "", None, "application/jsonx"]

scalars = st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10 ** 40), max_value=10 ** 40) \
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                           max_leaves=20)
envelopes = st.fixed_dictionaries({"model": st.sampled_from(["fashion", "sentiment"]) | json_values, "inputs": json_values},
                                  optional={"extra": json_values})


def assert_contract_error(exc):
    """The error contract: status_code 4xx, message = {"error": {"code", "message"}} JSON, phrase."""
    assert isinstance(exc, inference.InferenceError), f"{type(exc).__name__}: {exc}"
    assert 400 <= exc.status_code < 500, exc
    body = json.loads(exc.message)
    assert set(body) == {"error"} and isinstance(body["error"]["code"], str) and body["error"]["message"], body
    assert isinstance(exc.phrase, str) and exc.phrase


def parse_or_contract_error(body, content_type):
    try:
        return stages.input_fn(body, content_type)
    except Exception as exc:  # noqa: BLE001 - the property: only the contract's exception
        assert_contract_error(exc)
        return None


@FUZZ
@given(value=json_values, as_bytes=st.booleans(), content_type=st.sampled_from(CONTENT_TYPES))
def test_arbitrary_json_is_parsed_or_refused_with_a_4xx(value, as_bytes, content_type):
    text = json.dumps(value, allow_nan=True)
    parse_or_contract_error(text.encode() if as_bytes else text, content_type)


@FUZZ
@given(envelope=envelopes, as_bytes=st.booleans())
def test_arbitrary_envelopes_are_parsed_or_refused_with_a_4xx(envelope, as_bytes):
    text = json.dumps(envelope, allow_nan=True)
    req = parse_or_contract_error(text.encode() if as_bytes else text, "application/json")
    if req is not None:
        assert isinstance(req.model, str) and isinstance(req.inputs, list) and "extra" not in envelope


@FUZZ
@given(body=st.binary(max_size=300) | st.text(max_size=300), content_type=st.sampled_from(CONTENT_TYPES) | st.text(max_size=30))
def test_arbitrary_bytes_and_text_are_parsed_or_refused_with_a_4xx(body, content_type):
    parse_or_contract_error(body, content_type)


@FUZZ
@given(inputs=json_values, model=st.sampled_from(sorted(SPECS)))
def test_arbitrary_inputs_pass_model_validation_or_are_refused_with_a_4xx(inputs, model):
    """The model-specific checks predict_fn runs before touching a model (shape, dtype, range, batch)."""
    req = parse_or_contract_error(json.dumps({"model": model, "inputs": inputs}, allow_nan=False)
                                  if not _has_non_finite(inputs) else "{}", "application/json")
    if req is None:
        return
    try:
        validate_inputs(SPECS[model], req.inputs)
    except Exception as exc:  # noqa: BLE001
        assert_contract_error(exc)


def _has_non_finite(v):
    if isinstance(v, float):
        return not math.isfinite(v)
    if isinstance(v, list):
        return any(_has_non_finite(x) for x in v)
    if isinstance(v, dict):
        return any(_has_non_finite(x) for x in v.values())
    return False


# Images from a hypothesis-chosen seed and pattern (drawing 784 integers one by one is slow).
images = st.builds(lambda seed, pattern: _image(seed, pattern), st.integers(0, 2 ** 32 - 1),
                   st.sampled_from(["random", "zeros", "max", "edges"]))


def _image(seed, pattern):
    import numpy as np
    if pattern == "zeros":
        return [[0] * 28 for _ in range(28)]
    if pattern == "max":
        return [[255] * 28 for _ in range(28)]
    rng = np.random.default_rng(seed)
    if pattern == "edges":
        return rng.choice([0, 255], size=(28, 28)).tolist()
    return rng.integers(0, 256, size=(28, 28)).tolist()


texts = st.text(max_size=200)


@FUZZ
@given(batch=st.lists(images, min_size=1, max_size=3), as_bytes=st.booleans())
def test_valid_random_images_are_accepted(batch, as_bytes):
    text = json.dumps({"model": "fashion", "inputs": batch})
    req = stages.input_fn(text.encode() if as_bytes else text, "application/json")
    arr = validate_inputs(SPECS["fashion"], req.inputs)
    assert arr.shape == (len(batch), 28, 28) and str(arr.dtype) == "uint8"
    assert arr.tolist() == batch


@FUZZ
@given(batch=st.lists(texts, min_size=1, max_size=8))
def test_valid_random_texts_are_accepted(batch):
    req = stages.input_fn(json.dumps({"model": "sentiment", "inputs": batch}), "application/json; charset=utf-8")
    assert validate_inputs(SPECS["sentiment"], req.inputs) == batch


@FEW
@given(images_batch=st.lists(images, min_size=1, max_size=2), text_batch=st.lists(texts, min_size=1, max_size=3))
def test_valid_random_requests_get_one_prediction_per_input_from_the_real_models(router, images_batch, text_batch):
    for model, batch in (("fashion", images_batch), ("sentiment", text_batch)):
        data = stages.input_fn(json.dumps({"model": model, "inputs": batch}), "application/json")
        body, ctype = stages.output_fn(stages.predict_fn(data, router), "application/json")
        out = json.loads(body)
        assert ctype == "application/json" and out["model"] == model and len(out["predictions"]) == len(batch)
        for p in out["predictions"]:
            assert abs(sum(p["scores"].values()) - 1) < 1e-3 and p["label"] == SPECS[model].labels[p["class_id"]]
