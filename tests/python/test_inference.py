"""model-src/code/inference.py with the real trained models (torch and scikit-learn, CPU): the handler
functions and the request contract of both models."""
import csv
import json

import numpy as np
import pytest

import inference
import stages
from mme.request import Request
from common import SENTIMENT_CSV
from conftest import MODEL_SRC, invoke

FASHION_LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


# ---------------------------------------------------------------- handler functions

def test_model_fn_reads_the_manifest_and_loads_only_the_pinned_model_at_start():
    router = inference.model_fn(MODEL_SRC)
    assert sorted(router.specs) == ["fashion", "sentiment"]
    assert router.cache.resident() == ["fashion"]
    assert router.ready() is True and inference.ready(router) is True


def test_model_fn_takes_the_toolkits_context_and_uses_the_gpu_it_names_when_there_is_one():
    import inspect
    import torch
    # the toolkit passes the context when the function has one parameter more than its arguments
    assert list(inspect.signature(inference.model_fn).parameters) == ["model_dir", "context"]
    context = type("Context", (), {"system_properties": {"gpu_id": "0", "model_dir": MODEL_SRC}})()
    router = inference.model_fn(MODEL_SRC, context)
    with router.cache.use("fashion") as model:
        assert str(model.device) == ("cuda:0" if torch.cuda.is_available() else "cpu")
    assert [inference._gpu_id(c) for c in (None, object(), context)] == [None, None, 0]


def test_input_fn_accepts_the_body_as_str_or_bytes_and_a_charset_parameter():
    body = '{"model": "sentiment", "inputs": ["héllo"]}'
    for b, ctype in [(body, "application/json"), (body.encode("utf-8"), "application/json"),
                     (bytearray(body.encode("utf-8")), "Application/JSON; charset=utf-8")]:
        req = stages.input_fn(b, ctype)
        assert (req.model, req.inputs) == ("sentiment", ["héllo"])


def test_predict_fn_returns_one_prediction_per_input_with_label_class_id_and_scores(router):
    out = stages.predict_fn(Request("sentiment", ["good", "bad"]), router)
    assert out["model"] == "sentiment" and len(out["predictions"]) == 2
    for p in out["predictions"]:
        assert set(p) == {"label", "class_id", "scores"}
        assert list(p["scores"]) == ["Neutral", "Negative", "Positive"]
        assert p["label"] == ["Neutral", "Negative", "Positive"][p["class_id"]]
        assert abs(sum(p["scores"].values()) - 1) < 1e-4


@pytest.mark.parametrize("accept", [None, "", "*/*", "application/json", "application/json; charset=utf-8",
                                    "text/html, application/*;q=0.8"])
def test_output_fn_serialises_json_for_every_accept_that_allows_it(accept):
    body, ctype = stages.output_fn({"model": "m", "predictions": []}, accept)
    assert ctype == "application/json" and json.loads(body) == {"model": "m", "predictions": []}


# ---------------------------------------------------------------- the contract, real models

def test_fashion_accuracy_on_1000_test_images_is_at_least_88_percent(router, fashion_test_sample):
    images, labels = fashion_test_sample
    predicted = []
    for start in range(0, len(images), 250):  # batches of 250, under maxBatch 256
        out = invoke(router, {"model": "fashion", "inputs": images[start:start + 250].tolist()})
        assert len(out["predictions"]) == len(images[start:start + 250])
        predicted += [p["class_id"] for p in out["predictions"]]
    accuracy = float(np.mean(np.array(predicted) == labels))
    assert accuracy >= 0.88, accuracy


def test_fashion_predicts_every_one_of_its_10_labels_for_some_test_image(router, fashion_test_sample):
    images, labels = fashion_test_sample
    seen = set()
    for k in range(10):  # for each class, a batch of its test images: its label must come back
        out = invoke(router, {"model": "fashion", "inputs": images[labels == k][:20].tolist()})
        seen |= {p["label"] for p in out["predictions"]}
    assert seen == set(FASHION_LABELS)


def test_fashion_answers_the_whole_batch_in_order(router, fashion_test_sample):
    images, _ = fashion_test_sample
    batch = invoke(router, {"model": "fashion", "inputs": images[:12].tolist()})["predictions"]
    singles = [invoke(router, {"model": "fashion", "inputs": [img.tolist()]})["predictions"][0] for img in images[:12]]
    assert [p["class_id"] for p in batch] == [p["class_id"] for p in singles]
    for b, s in zip(batch, singles):
        assert b["scores"] == pytest.approx(s["scores"], abs=1e-4)


def test_fashion_accepts_integral_floats_as_pixels(router, fashion_test_sample):
    img = fashion_test_sample[0][0]
    as_int = invoke(router, {"model": "fashion", "inputs": [img.tolist()]})
    as_float = invoke(router, {"model": "fashion", "inputs": [img.astype(float).tolist()]})
    assert as_int == as_float


def test_fashion_runs_a_batch_as_one_forward_call_under_inference_mode(router, fashion_test_sample):
    import torch
    calls = []
    with router.cache.use("fashion") as model:
        original = model.module

        def counting(x):
            calls.append((tuple(x.shape), torch.is_inference_mode_enabled()))
            return original(x)
        model.module = counting
    try:
        invoke(router, {"model": "fashion", "inputs": fashion_test_sample[0][:7].tolist()})
    finally:
        model.module = original
    assert calls == [((7, 28, 28), True)]
    assert str(model.device) == ("cuda:0" if torch.cuda.is_available() else "cpu")


def sentiment_rows(n_per_label=100):
    rows = {0: [], 1: [], 2: []}
    with open(SENTIMENT_CSV, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            label = int(row[-1])
            if len(rows[label]) < n_per_label:
                rows[label].append(",".join(row[:-1]))
    return rows


def test_sentiment_predicts_each_of_its_3_labels_for_real_dataset_texts(router):
    names = ["Neutral", "Negative", "Positive"]
    correct = total = 0
    for label, texts in sentiment_rows().items():
        out = invoke(router, {"model": "sentiment", "inputs": texts})["predictions"]
        got = [p["label"] for p in out]
        assert names[label] in got, f"{names[label]} never predicted for its own texts"
        correct += sum(g == names[label] for g in got)
        total += len(got)
    assert correct / total > 0.7


@pytest.mark.parametrize("text,label", [("I love this, what a wonderful day!", "Positive"),
                                        ("this is awful, I hate waiting", "Negative"),
                                        ("going to the office at 9", "Neutral")])
def test_sentiment_answers_a_one_item_batch_with_the_expected_label(router, text, label):
    out = invoke(router, {"model": "sentiment", "inputs": [text]})
    assert out["model"] == "sentiment" and [p["label"] for p in out["predictions"]] == [label]
