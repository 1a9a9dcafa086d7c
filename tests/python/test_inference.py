"""model-src/code/inference.py with the real trained models (torch and scikit-learn, CPU)."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import inference
import mme.frameworks.tensorflow as tensorflow_handler  # the handler module, not TensorFlow
import stages
from mme.frameworks import check_model_file
from mme.manifest import read_manifest
from mme.request import Request
from common import SENTIMENT_CSV
from conftest import CODE_DIR, MODEL_SRC, REPO, error_of, invoke

FASHION_LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
BLANK = [[0] * 28 for _ in range(28)]


def image_with(value, row=3, col=4):
    img = [list(r) for r in BLANK]
    img[row][col] = value
    return img


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


# ---------------------------------------------------------------- frameworks

def test_the_module_imports_no_framework_and_a_sklearn_only_manifest_never_imports_torch(tmp_path):
    manifest = json.load(open(os.path.join(MODEL_SRC, "models.json")))
    only = [m for m in manifest["models"] if m["framework"] == "sklearn"]
    os.makedirs(tmp_path / "sentiment")
    os.symlink(os.path.join(MODEL_SRC, "sentiment", "model.joblib"), tmp_path / "sentiment" / "model.joblib")
    (tmp_path / "models.json").write_text(json.dumps({"models": only}))
    script = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); import inference, stages\n"
        "fw = ('torch', 'sklearn', 'joblib', 'tensorflow')\n"
        "assert not [m for m in fw if m in sys.modules], sorted(m for m in fw if m in sys.modules)\n"
        "r = inference.model_fn(sys.argv[2])\n"
        "out = stages.predict_fn(stages.input_fn(json.dumps({'model': 'sentiment', 'inputs': ['great']}),"
        " 'application/json'), r)\n"
        "print(out['predictions'][0]['label'], 'torch' in sys.modules, 'sklearn' in sys.modules)\n")
    res = subprocess.run([sys.executable, "-c", script, CODE_DIR, str(tmp_path)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["Positive", "False", "True"]


def tf_manifest(tmp_path, name="tfmodel", pinned=False):
    saved = tmp_path / name
    saved.mkdir()
    weights = np.zeros((4, 3))
    weights[0, 0] = weights[1, 1] = weights[2, 2] = 5.0  # class = position of the largest of the first 3 inputs
    np.save(saved / "weights.npy", weights)
    (saved / "saved_model.pb").write_bytes(b"stand-in")  # every real SavedModel directory has one
    (tmp_path / "models.json").write_text(json.dumps({"models": [{
        "name": name, "framework": "tensorflow", "path": name, "task": "tabular-classification",
        "labels": ["a", "b", "c"], "input": {"kind": "tabular", "shape": [4], "dtype": "float32",
                                             "range": [-10, 10], "maxBatch": 8},
        "memoryBytes": 1000, "pinned": pinned}]}))
    return str(tmp_path)


def test_the_tensorflow_handler_enables_gpu_memory_growth_before_loading_the_savedmodel(tmp_path, monkeypatch):
    import fake_tensorflow  # a stand-in, NOT TensorFlow (see its docstring)
    fake_tensorflow.reset()
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow)
    monkeypatch.setattr(tensorflow_handler, "_tf_growth_done", False)
    router = inference.model_fn(tf_manifest(tmp_path))
    out = invoke(router, {"model": "tfmodel", "inputs": [[1, 0, 0, 0], [0, 0, 1, 0], [0, 2, 0, 9]]})
    assert [p["label"] for p in out["predictions"]] == ["a", "c", "b"]
    kinds = [c[0] for c in fake_tensorflow.CALLS]
    assert kinds == ["list_physical_devices", "set_memory_growth", "load"]
    assert fake_tensorflow.CALLS[1] == ("set_memory_growth", "/physical_device:GPU:0", True)


def test_a_framework_that_is_not_installed_fails_at_load_naming_the_package_for_requirements_txt(tmp_path,
                                                                                                monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # import tensorflow -> ImportError
    router = inference.model_fn(tf_manifest(tmp_path))
    err = error_of(router, {"model": "tfmodel", "inputs": [[1, 0, 0, 0]]})
    assert (err.status_code, err.body["error"]["code"]) == (500, "model_load_failed")
    msg = err.body["error"]["message"]
    assert "model 'tfmodel' could not be loaded" in msg
    assert "add 'tensorflow==<version>' to code/requirements.txt" in msg


def test_a_pinned_model_whose_framework_is_missing_makes_model_fn_fail_with_that_message(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(inference.InferenceError, match="add 'tensorflow==<version>' to code/requirements.txt"):
        inference.model_fn(tf_manifest(tmp_path, pinned=True))


def test_a_manifest_with_problems_is_refused_listing_all_of_them(tmp_path):
    """models.json is checked against models.schema.json (manifest_schema.py), every problem at once."""
    (tmp_path / "models.json").write_text(json.dumps({"models": [
        {"name": "a", "framework": "onnx", "path": "a", "task": "t", "labels": ["x"], "memoryBytes": 1},
        {"name": "b", "framework": "pytorch", "path": "b", "task": "t", "labels": ["x"], "memoryBytes": 0},
        {"name": "c"}, {"name": "a", "framework": "sklearn", "path": "x", "task": "t", "labels": [], "memoryBytes": True}, 3,
        {"name": "e", "framework": "pytorch", "path": "e", "task": "t", "labels": ["x"], "memoryBytes": 32833536.0, "pined": True}]}))
    with pytest.raises(ValueError) as info:
        inference.model_fn(str(tmp_path))
    msg = str(info.value)
    assert "models[0].framework must be one of pytorch, sklearn, tensorflow (got \"onnx\")" in msg
    assert "models[1].memoryBytes must be a positive integer number of bytes" in msg
    assert all(f"models[2].{k} is required" in msg for k in ("framework", "path", "task", "labels", "memoryBytes"))
    assert "models[3].name 'a' repeats models[0].name" in msg and "models[3].labels must be a non-empty array" in msg
    assert "models[3].memoryBytes must be a positive integer number of bytes" in msg and "models[4] must be an object" in msg
    assert "models[5].memoryBytes must be a positive integer number of bytes (written without a fraction or exponent" in msg
    assert "models[5].pined is not a known field; did you mean 'pinned'?" in msg


def test_the_requirements_pin_the_versions_that_saved_the_sentiment_artifact():
    import joblib
    import sklearn
    lines = open(os.path.join(CODE_DIR, "requirements.txt")).read().splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    assert f"scikit-learn=={sklearn.__version__}" in pins and f"joblib=={joblib.__version__}" in pins


def test_both_artifacts_together_are_well_under_5_mb():
    total = sum(os.path.getsize(os.path.join(MODEL_SRC, p)) for p in ("fashion/model.pt", "sentiment/model.joblib"))
    assert total < 3 * 2**20, total


# ---------------------------------------------------------------- debug script

@pytest.mark.parametrize("model,expect", [("fashion", "Ankle boot"), ("sentiment", "Positive")])
def test_the_debug_script_runs_the_four_functions_in_sequence(model, expect, capsys):
    import debug  # scripts/debug.py, run in-process (npm run debug -- --model NAME runs the same main)
    assert debug.main(["--model", model]) == 0
    out = capsys.readouterr().out
    steps = [out.index(step) for step in ("1. model_fn(", "2. input_fn(", "3. predict_fn(", "4. output_fn(")]
    assert steps == sorted(steps)
    assert "3 predictions" in out and expect in out


def test_the_debug_script_exits_non_zero_with_the_error_when_a_step_fails(tmp_path, capsys):
    import debug
    (tmp_path / "models.json").write_text(json.dumps({"models": [{
        "name": "sentiment", "framework": "sklearn", "path": "missing.joblib", "task": "text-classification", "labels": ["a"],
        "memoryBytes": 1, "input": {"kind": "text", "maxBatch": 8}}]}))
    assert debug.main(["--model", "sentiment", "--model-dir", str(tmp_path)]) == 1
    assert "FAILED with HTTP 500 Internal Server Error" in capsys.readouterr().err


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


def test_a_corrupted_unpinned_model_file_makes_model_fn_fail_at_start_naming_the_model_and_its_file(tmp_path):
    import shutil
    copy = tmp_path / "model"
    shutil.copytree(MODEL_SRC, copy)
    (copy / "sentiment" / "model.joblib").write_bytes(b"\x00not a joblib file" * 64)
    with pytest.raises(inference.InferenceError) as info:
        inference.model_fn(str(copy))
    err = info.value
    assert (err.status_code, json.loads(err.message)["error"]["code"]) == (500, "model_load_failed")
    assert json.loads(err.message)["error"]["message"] == (
        "model 'sentiment' (file sentiment/model.joblib): is not a joblib/pickle file (starts with 006e6f74); "
        "re-export it or rebuild the archive")


def test_the_start_check_accepts_the_shipped_artifacts_and_names_empty_and_missing_files(tmp_path):
    import shutil
    copy = tmp_path / "model"
    shutil.copytree(MODEL_SRC, copy)
    specs = read_manifest(str(copy))
    assert [check_model_file(s) for s in specs.values()] == [None, None]
    (copy / "sentiment" / "model.joblib").write_bytes(b"")
    (copy / "fashion" / "model.pt").unlink()
    assert [check_model_file(s) for s in specs.values()] == [
        "model 'fashion' (file fashion/model.pt): does not exist",
        "model 'sentiment' (file sentiment/model.joblib): is empty"]


def test_a_corrupted_pinned_model_file_makes_model_fn_fail_naming_the_file(tmp_path):
    import shutil
    copy = tmp_path / "model"
    shutil.copytree(MODEL_SRC, copy)
    (copy / "fashion" / "model.pt").write_bytes(os.urandom(5000))
    with pytest.raises(inference.InferenceError, match=r"model 'fashion' could not be loaded: .*\(file fashion/model\.pt\)"):
        inference.model_fn(str(copy))
