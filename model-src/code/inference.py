"""One SageMaker PyTorch serving container, several models: route each request by name.

The serving toolkit calls ``model_fn`` once per worker, then ``transform_fn`` per request
(parse -> predict -> serialise; stages.py exposes the three stages one by one for
scripts/debug.py and the tests). The toolkit refuses a module that defines ``transform_fn``
together with ``input_fn``/``predict_fn``/``output_fn``, so this one defines none of those.

Request  (Content-Type: application/json):  {"model": "<name>", "inputs": [ ... ]}
    fashion:   "inputs" is a list of 28x28 arrays of raw pixel values 0..255 (integers)
    sentiment: "inputs" is a list of strings
Response (application/json):
    {"model": "<name>", "predictions": [{"label": ..., "class_id": ..., "scores": {label: p}}]}
    one prediction per input, in order.
Errors: one JSON document {"error": {"code": "...", "message": "..."}} with the error's HTTP
    status and Content-Type application/json, set through the TorchServe context (InferenceError
    carries ``status_code``, ``phrase`` and ``message`` = that body).

Models are described by ../models.json and loaded through a memory-bounded LRU cache
(``ModelCache``): on first use, or at start for ``"pinned": true`` models. Settings
(environment): MODEL_CACHE_BYTES, MODEL_CACHE_FRACTION, MODEL_LOAD_RETRY_SECONDS,
MODEL_CACHE_WAIT_SECONDS; see ``mme.budget`` and docs/model-cache.md.

Everything else is in the package beside this file (mme/, see its __init__: errors, request,
inputs, manifest, budget, cache, router, frameworks). Frameworks are imported only when a model
of that framework is loaded; this module imports with only numpy installed. The container puts
code/ on sys.path, so mme/ and stages.py beside it import.
"""
import logging

from mme.errors import InferenceError, bad
from mme.logs import LOG, ensure_log_handler
from mme.request import JSON, parse_request, serialize
from mme.router import Router


def model_fn(model_dir, context=None):
    """Read models.json, size the cache and load the pinned models. Returns the Router
    that ``transform_fn`` receives; ``router.ready()`` is True once every pinned model is
    resident. Raises if the manifest is invalid or a pinned model cannot be loaded.
    ``context`` (passed by the toolkit because this function accepts it) names the GPU
    TorchServe gave this worker (``system_properties["gpu_id"]``): its models and budget
    use that GPU, so workers on a multi-GPU instance spread over the GPUs."""
    ensure_log_handler()
    return Router.from_dir(model_dir, gpu_id=_gpu_id(context))


def transform_fn(models, request_body, content_type, accept, context=None):
    """One request: parse the envelope, predict, serialise (the three stages, see stages.py).
    A request error is answered as ONE JSON document ``{"error": {"code", "message"}}`` with
    its status set on the TorchServe ``context`` and Content-Type application/json, logged as
    one line (WARNING for 4xx). Raising instead would make the toolkit answer
    ``"<message>\n<traceback>"`` without a Content-Type. Without a context (a direct call)
    the error is raised."""
    try:
        return serialize(models.predict(parse_request(request_body, content_type)), accept)
    except InferenceError as e:
        error = e
    except Exception as e:  # noqa: BLE001 - a bug must not leak a traceback to the client
        LOG.exception("request failed unexpectedly")
        error = bad("internal_error", f"{type(e).__name__}: {e}", 500)
    if context is None:
        raise error
    LOG.log(logging.WARNING if error.status_code < 500 else logging.ERROR,
            "answered %d %s: %s", error.status_code, error.code, error.detail[:300].replace("\n", " "))
    context.set_response_status(error.status_code, error.phrase)
    return error.message, JSON


def ready(models):
    """Readiness for a /ping handler: True when every pinned model is loaded."""
    return models.ready()


def _gpu_id(context):
    """The GPU TorchServe gave this worker, or None (no context, or no GPU)."""
    props = getattr(context, "system_properties", None) or {}
    try:
        return int(props["gpu_id"]) if props.get("gpu_id") is not None else None
    except (TypeError, ValueError):
        return None
