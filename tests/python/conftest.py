"""Shared fixtures for the Python tests: model-src/code on sys.path (so `import inference`
works like inside the container), the real model directory and a few request helpers."""
import json
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_SRC = os.path.join(REPO, "model-src")
CODE_DIR = os.path.join(MODEL_SRC, "code")
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
FASHION_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")

for p in (CODE_DIR, TESTS_DIR, os.path.join(REPO, "training"), os.path.join(REPO, "scripts"),
          os.path.join(REPO, "scripts", "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)


@pytest.fixture(scope="session")
def router():
    """model_fn on the real model-src (torch and scikit-learn, CPU)."""
    import inference
    return inference.model_fn(MODEL_SRC)


@pytest.fixture(scope="session")
def fashion_test_sample():
    """A fixed random sample of 1,000 of the 10,000 Fashion-MNIST test images and labels."""
    import numpy as np
    from common import load_idx
    images = load_idx(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz"))
    labels = load_idx(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz"))
    idx = np.random.default_rng(7).choice(len(images), size=1000, replace=False)
    return images[idx], labels[idx]


def invoke(router, body, content_type="application/json", accept="application/json"):
    """Run the three stages of transform_fn (stages.py); return the parsed response."""
    import stages
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    data = stages.input_fn(body, content_type)
    response, ctype = stages.output_fn(stages.predict_fn(data, router), accept)
    assert ctype == "application/json"
    return json.loads(response)


def error_of(router, body, content_type="application/json", accept="application/json"):
    """The InferenceError a request raises, with its parsed JSON body as .body."""
    import inference
    with pytest.raises(inference.InferenceError) as info:
        invoke(router, body, content_type, accept)
    err = info.value
    err.body = json.loads(err.message)
    assert set(err.body) == {"error"} and set(err.body["error"]) == {"code", "message"}
    return err
