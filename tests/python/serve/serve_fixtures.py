"""Helpers of the local model server's tests (tests/python/serve/): local/server/serve.py imported in-process,
a small handler module of the tests' own written to a temporary <base>/model/code/inference.py (the layout
SageMaker gives /opt/ml/model, so these tests do not depend on model-src/), and WSGI calls into the server."""
import contextlib
import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
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
