"""model-src/code/inference.py's frameworks and start checks: no framework imported before a model of it
loads, the TensorFlow handler (against a stand-in), missing frameworks, bad manifests, corrupted artifacts,
the pinned requirements and the debug script."""
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
from conftest import CODE_DIR, MODEL_SRC, error_of, invoke


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
