"""The handler on a one-model archive (what each inference component of the components topology
serves): a request may leave 'model' out; a 'model' naming another model is a 400. The router
archive (several models) still needs 'model'."""
import json
import os

import pytest

from conftest import MODEL_SRC, error_of, invoke


@pytest.fixture(scope="module")
def sentiment_only(tmp_path_factory):
    """A model directory holding only the sentiment model and a models.json listing only it."""
    import inference
    d = tmp_path_factory.mktemp("sentiment-component")
    with open(os.path.join(MODEL_SRC, "models.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["models"] = [m for m in manifest["models"] if m["name"] == "sentiment"]
    (d / "models.json").write_text(json.dumps(manifest))
    os.symlink(os.path.join(MODEL_SRC, "sentiment"), d / "sentiment")
    return inference.model_fn(str(d))


def test_a_one_model_archive_answers_a_request_that_names_no_model(sentiment_only):
    out = invoke(sentiment_only, {"inputs": ["I love this, what a wonderful day!", "this is awful, I hate waiting"]})
    assert out["model"] == "sentiment"
    assert [p["label"] for p in out["predictions"]] == ["Positive", "Negative"]


def test_a_one_model_archive_still_answers_a_request_naming_its_model(sentiment_only):
    assert invoke(sentiment_only, {"model": "sentiment", "inputs": ["ok"]})["model"] == "sentiment"


def test_a_model_that_disagrees_with_the_one_model_archive_is_a_400_naming_both(sentiment_only):
    err = error_of(sentiment_only, {"model": "fashion", "inputs": ["ok"]})
    assert (err.status_code, err.body["error"]["code"]) == (400, "model_mismatch")
    assert "field 'model' is 'fashion' but this archive (inference component) serves only 'sentiment'" in err.body["error"]["message"]


def test_the_router_archive_still_needs_model_and_names_the_choices(router):
    err = error_of(router, {"inputs": ["ok"]})
    assert (err.status_code, err.body["error"]["code"]) == (400, "missing_field")
    assert "missing field 'model': this archive holds several models (fashion, sentiment); name one" in err.body["error"]["message"]


def test_a_body_without_inputs_still_names_both_missing_fields(sentiment_only):
    err = error_of(sentiment_only, {})
    assert "missing field 'model'; missing field 'inputs'" in err.body["error"]["message"]
