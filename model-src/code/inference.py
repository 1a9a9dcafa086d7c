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
MODEL_CACHE_WAIT_SECONDS; see ``cache_budget`` and the README.

Frameworks are imported only when a model of that framework is loaded; this module
imports with only numpy installed. The container puts code/ on sys.path, so stages.py
beside it imports.
"""
import gc
import importlib
import json
import logging
import math
import os
import threading
import time
import weakref
from contextlib import contextmanager
from http import HTTPStatus

import numpy as np

import manifest_schema

LOG = logging.getLogger("inference")
JSON = "application/json"


# --------------------------------------------------------------------------------------
# The handler functions (the container contract: model_fn + transform_fn)
# --------------------------------------------------------------------------------------

def model_fn(model_dir, context=None):
    """Read models.json, size the cache and load the pinned models. Returns the Router
    that ``transform_fn`` receives; ``router.ready()`` is True once every pinned model is
    resident. Raises if the manifest is invalid or a pinned model cannot be loaded.
    ``context`` (passed by the toolkit because this function accepts it) names the GPU
    TorchServe gave this worker (``system_properties["gpu_id"]``): its models and budget
    use that GPU, so workers on a multi-GPU instance spread over the GPUs."""
    _ensure_log_handler()
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
        error = _bad("internal_error", f"{type(e).__name__}: {e}", 500)
    if context is None:
        raise error
    LOG.log(logging.WARNING if error.status_code < 500 else logging.ERROR,
            "answered %d %s: %s", error.status_code, error.code, error.detail[:300].replace("\n", " "))
    context.set_response_status(error.status_code, error.phrase)
    return error.message, JSON


def serialize(prediction, accept):
    """Serialise as JSON. Accepts ``application/json``, ``application/*``, ``*/*`` or no
    Accept header; returns (body, content type) as the toolkit allows."""
    check_accept(accept)
    return json.dumps(prediction, separators=(",", ":")), JSON


def ready(models):
    """Readiness for a /ping handler: True when every pinned model is loaded."""
    return models.ready()


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------

try:  # inside the SageMaker container the toolkit turns this into an HTTP response
    from sagemaker_inference.errors import BaseInferenceToolkitError as _ErrorBase
except ImportError:  # elsewhere (tests, local server): same three attributes
    class _ErrorBase(Exception):
        def __init__(self, status_code, message, phrase):
            self.status_code = status_code
            self.message = message
            self.phrase = phrase
            super().__init__(status_code, message, phrase)


class InferenceError(_ErrorBase):
    """A request error: ``status_code``, ``phrase``, ``message`` (JSON body); ``code`` and
    ``detail`` hold the error code and the human-readable text of the body."""

    def __init__(self, status_code, code, detail):
        body = json.dumps({"error": {"code": code, "message": detail}})
        super().__init__(status_code, body, HTTPStatus(status_code).phrase)
        self.code = code
        self.detail = detail

    def __str__(self):
        return f"{self.status_code} {self.code}: {self.detail}"


def _bad(code, detail, status=400):
    return InferenceError(status, code, detail)


# --------------------------------------------------------------------------------------
# Request parsing and validation (pure)
# --------------------------------------------------------------------------------------

class Request:
    __slots__ = ("model", "inputs")

    def __init__(self, model, inputs):
        self.model = model
        self.inputs = inputs

    def __repr__(self):
        return f"Request(model={self.model!r}, inputs=<{len(self.inputs)} items>)"


def _media_type(header):
    return (header or "").split(";", 1)[0].strip().lower()


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON; send finite numbers")


def _type_name(value):
    """The JSON type of ``value`` with its article, for messages: 'a number', 'null', ..."""
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), f"a {type(value).__name__}")


def parse_request(body, content_type):
    if _media_type(content_type) != JSON:
        raise _bad("unsupported_content_type",
                   f"Content-Type {content_type!r} is not supported; send application/json", 415)
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as e:
            raise _bad("malformed_json", f"request body is not UTF-8 text ({e})")
    if not isinstance(body, str):
        raise _bad("malformed_json", f"request body must be JSON text, got {type(body).__name__}")
    try:
        obj = json.loads(body, parse_constant=_reject_constant)
    except ValueError as e:
        raise _bad("malformed_json", f"request body is not valid JSON: {e}")
    except RecursionError:
        raise _bad("malformed_json", "request body nests lists or objects too deeply to parse")
    if not isinstance(obj, dict):
        raise _bad("invalid_body", 'request body must be a JSON object {"model": "<name>", "inputs": [...]}, '
                                   f"got {_type_name(obj)}")
    # "model" may be left out: an archive with one model (one inference component) serves it (Router.predict)
    if "inputs" not in obj:
        raise _bad("missing_field", "; ".join(f"missing field '{k}'" for k in ("model", "inputs") if k not in obj) +
                   ' (expected {"model": "<name>", "inputs": [...]})')
    unknown = sorted(k for k in obj if k not in ("model", "inputs"))
    if unknown:
        raise _bad("unknown_field", f"unknown field(s) {', '.join(repr(k) for k in unknown)}; "
                                    "the body has only 'model' and 'inputs'")
    if "model" in obj and not isinstance(obj["model"], str):
        raise _bad("invalid_field", f"field 'model' must be a string (a model name), got {_type_name(obj['model'])}")
    if not isinstance(obj["inputs"], list):
        raise _bad("invalid_field", "field 'inputs' must be a list (a batch; send one input as [input]), "
                                    f"got {_type_name(obj['inputs'])}")
    return Request(obj.get("model"), obj["inputs"])


def check_accept(accept):
    """Raise 406 unless the Accept header allows JSON (missing header allowed)."""
    if accept is None or not str(accept).strip():
        return
    for part in str(accept).split(","):
        if _media_type(part) in (JSON, "application/*", "*/*"):
            return
    raise _bad("unsupported_accept", f"Accept {accept!r} is not supported; accept application/json", 406)


_NUMERIC_DTYPES = {"uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}
_MAX_PROBLEMS = 5


def validate_inputs(spec, inputs):
    """Check a batch against the manifest entry; return what the framework handler takes
    (numpy array of the manifest dtype, or a list of str). Raises InferenceError."""
    n, limit = len(inputs), spec.input.get("maxBatch")
    if n == 0:
        raise _bad("empty_batch", f"field 'inputs' is an empty list; send 1 to {limit} inputs for model '{spec.name}'")
    if limit is not None and n > limit:
        raise _bad("batch_too_large", f"field 'inputs' holds {n} items but model '{spec.name}' accepts at most "
                                      f"{limit} per request (manifest maxBatch); split the batch", 413)
    if spec.input.get("kind") == "text":
        return _validate_texts(spec, inputs)
    return _validate_arrays(spec, inputs)


def _validate_texts(spec, inputs):
    max_len = spec.input.get("maxLength")
    problems = []
    for i, item in enumerate(inputs):
        if not isinstance(item, str):
            problems.append(f"inputs[{i}] is {_type_name(item)}, expected a string")
        elif max_len is not None and len(item) > max_len:
            problems.append(f"inputs[{i}] has {len(item)} characters, expected at most {max_len}")
    _raise_problems(spec, problems, "a list of strings")
    return list(inputs)


def _validate_arrays(spec, inputs):
    shape = tuple(spec.input.get("shape", ()))
    dtype = spec.input.get("dtype", "float32")
    lo, hi = spec.input.get("range", (-math.inf, math.inf))
    what = f"a list of {'x'.join(map(str, shape)) or 'scalar'} arrays of numbers {lo}..{hi} ({dtype})"
    try:
        arr = np.asarray(inputs)
    except (ValueError, TypeError):  # ragged nesting
        arr = None
    if arr is None or arr.shape != (len(inputs),) + shape or arr.dtype.kind not in "iuf":
        problems = []
        for i, item in enumerate(inputs):
            p = _item_problem(item, shape, f"inputs[{i}]")
            if p:
                problems.append(p)
        if not problems:  # every item has the right shape and types: a number numpy cannot hold
            problems.append("a number is too large to convert (beyond 64-bit range)")
        if shape and _item_problem(inputs, shape, "inputs") is None:
            problems = [f"inputs looks like ONE input of shape {list(shape)}; send a batch: [input]"]
        _raise_problems(spec, problems, what)
    problems = []
    for i, item in enumerate(inputs):  # JSON true/false would silently become 1/0 in numpy
        where = _find_bool(item, len(shape), f"inputs[{i}]")
        if where:
            problems.append(f"{where} is a boolean, expected a number")
    total = len(problems)
    if not problems and arr.dtype.kind == "f":
        problems, total = _value_problems(arr, ~np.isfinite(arr), "expected a finite number")
        if not problems and dtype.startswith(("int", "uint")):
            problems, total = _value_problems(arr, arr != np.floor(arr), f"expected an integer ({dtype})")
    if not problems:
        problems, total = _value_problems(arr, (arr < lo) | (arr > hi), f"expected a value in {lo}..{hi}")
    _raise_problems(spec, problems, what, total)
    return arr.astype(dtype if dtype in _NUMERIC_DTYPES else "float32", copy=False)


def _value_problems(arr, mask, expected):
    """Messages for the first values where ``mask`` is set, and how many there are in all."""
    idx = np.argwhere(mask)
    return [f"{_index_path(ix)} is {arr[tuple(ix)]}, {expected}" for ix in idx[:_MAX_PROBLEMS]], len(idx)


def _raise_problems(spec, problems, what, total=None):
    """Raise 400 invalid_input listing the first problems and how many more there are."""
    if problems:
        total = max(total or 0, len(problems))
        shown = problems[:_MAX_PROBLEMS] + ([f"and {total - _MAX_PROBLEMS} more"] if total > _MAX_PROBLEMS else [])
        raise _bad("invalid_input", f"model '{spec.name}' expects 'inputs' as {what}: " + "; ".join(shown))


def _index_path(ix):
    return "inputs" + "".join(f"[{int(k)}]" for k in ix)


def _item_problem(item, shape, path):
    """First problem of one input against ``shape`` (None when it fits)."""
    if not shape:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            return f"{path} is {_type_name(item)}, expected a number"
        return None
    if not isinstance(item, list):
        return f"{path} is {_type_name(item)}, expected a list of {shape[0]}"
    if len(item) != shape[0]:
        return f"{path} has {len(item)} items, expected {shape[0]}"
    for k, sub in enumerate(item):
        p = _item_problem(sub, shape[1:], f"{path}[{k}]")
        if p:
            return p
    return None


def _find_bool(item, depth, path):
    if depth == 0:
        return path if type(item) is bool else None
    if depth == 1:
        if bool in set(map(type, item)):
            return f"{path}[{next(k for k, v in enumerate(item) if type(v) is bool)}]"
        return None
    for k, sub in enumerate(item):
        where = _find_bool(sub, depth - 1, f"{path}[{k}]")
        if where:
            return where
    return None


def to_probabilities(scores):
    """Rows that already are probability distributions stay; anything else gets a softmax."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size and np.all(scores >= 0) and np.all(scores <= 1) and np.allclose(scores.sum(axis=1), 1, atol=1e-3):
        return scores
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def format_predictions(spec, probs):
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] != len(spec.labels):
        raise _bad("prediction_failed", f"model '{spec.name}' returned scores of shape {list(probs.shape)}, "
                                        f"expected [batch, {len(spec.labels)}] (one per label in models.json)", 500)
    preds = []
    for row in probs:
        k = int(np.argmax(row))
        preds.append({"label": spec.labels[k], "class_id": k,
                      "scores": {label: round(float(p), 6) for label, p in zip(spec.labels, row)}})
    return {"model": spec.name, "predictions": preds}


# --------------------------------------------------------------------------------------
# Manifest and router
# --------------------------------------------------------------------------------------

FRAMEWORKS = ("pytorch", "sklearn", "tensorflow")


class ModelSpec:
    def __init__(self, entry, model_dir):
        self.name = entry["name"]
        self.framework = entry["framework"]
        self.rel_path = entry["path"]
        self.path = os.path.join(model_dir, entry["path"])
        self.labels = list(entry["labels"])
        self.input = dict(entry.get("input", {}))
        self.memory_bytes = int(entry["memoryBytes"])
        self.pinned = bool(entry.get("pinned", False))


def read_manifest(model_dir):
    """Parse models.json into ModelSpecs; raises ValueError listing every problem. The manifest is checked
    against models.schema.json (beside this file) with manifest_schema.py, the same schema the deploy side
    checks with ajv, so a manifest `npm run package` accepts is one model_fn accepts and vice versa."""
    path = os.path.join(model_dir, "models.json")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read the manifest {{\"models\": [...]}}: {e}") from e
    doc, problems = manifest_schema.check_text(text)
    if problems:
        raise ValueError("; ".join(f"{path}: {p}" for p in problems))
    return {entry["name"]: ModelSpec(entry, model_dir) for entry in doc["models"]}


class Router:
    """What model_fn returns: the manifest plus the model cache."""

    def __init__(self, specs, cache):
        self.specs = specs
        self.cache = cache

    @classmethod
    def from_dir(cls, model_dir, environ=None, loader=None, gpu_id=None):
        environ = os.environ if environ is None else environ
        specs = read_manifest(model_dir)
        budget, source = cache_budget(environ, specs, gpu_id)
        LOG.info("models: %s; cache budget %s (%s)", ", ".join(
            f"{s.name} ({s.framework}, {_mb(s.memory_bytes)}{', pinned' if s.pinned else ''})" for s in specs.values()),
            _mb(budget), source)
        cache = ModelCache(specs, budget, loader=loader or (lambda spec: load_model(spec, gpu_id)),
                           retry_seconds=_env_float(environ, "MODEL_LOAD_RETRY_SECONDS", 5.0),
                           wait_seconds=_env_float(environ, "MODEL_CACHE_WAIT_SECONDS", 30.0))
        if loader is None:  # real loaders: a broken UNPINNED model file fails the start, not its first request
            broken = [p for p in (check_model_file(s) for s in specs.values() if not s.pinned) if p]
            if broken:
                raise _bad("model_load_failed", "; ".join(broken), 500)
        cache.load_pinned()
        return cls(specs, cache)

    def predict(self, request):
        spec = self.spec_for(request.model)
        if spec is None:
            raise _bad("unknown_model", f"field 'model' is {request.model!r}, not a known model; "
                                        f"known models: {', '.join(sorted(self.specs))}", 404)
        batch = validate_inputs(spec, request.inputs)  # before any load: bad requests cost nothing
        with self.cache.use(spec.name) as model:
            try:
                probs = model.predict_proba(batch)
            except InferenceError:
                raise
            except Exception as e:  # noqa: BLE001 - reported to the client as a 500 naming the model
                LOG.exception("prediction of model '%s' failed", spec.name)
                raise _bad("prediction_failed", f"model '{spec.name}' failed to predict: {type(e).__name__}: {e}", 500)
        return format_predictions(spec, probs)

    def spec_for(self, name):
        """The model a request names. With one model in the archive (an inference component) the request may leave
        ``model`` out, and a different name is a 400; with several, ``model`` is required and an unknown one is a 404."""
        if len(self.specs) == 1:
            (only,) = self.specs.values()
            if name is not None and name != only.name:
                raise _bad("model_mismatch", f"field 'model' is {name!r} but this archive (inference component) serves only "
                                             f"{only.name!r}; send {only.name!r} or leave 'model' out")
            return only
        if name is None:
            raise _bad("missing_field", "missing field 'model': this archive holds several models "
                                        f"({', '.join(sorted(self.specs))}); name one")
        return self.specs.get(name)

    def ready(self):
        return self.cache.ready()


# --------------------------------------------------------------------------------------
# Memory budget
# --------------------------------------------------------------------------------------

DEFAULT_FRACTION = 0.5  # of device memory, divided by the workers sharing that device


def cache_budget(environ, specs, gpu_id=None):
    """Return (bytes, explanation). MODEL_CACHE_BYTES wins; else MODEL_CACHE_FRACTION of the
    device's total memory: the CUDA device's (torch.cuda.mem_get_info) when a pytorch model is
    listed and CUDA is available, else the machine's RAM (physical pages, capped by the cgroup
    memory limit). Without a fraction the default is 0.5 / the workers sharing the device: on
    CUDA ceil(SAGEMAKER_MODEL_SERVER_WORKERS / torch.cuda.device_count()), because TorchServe
    hands the GPUs to the workers round-robin; on CPU all SAGEMAKER_MODEL_SERVER_WORKERS share the RAM.
    components/memoryBudget.ts (cacheBudgetBytes) mirrors this for the preview check."""
    raw = environ.get("MODEL_CACHE_BYTES")
    if raw not in (None, ""):
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise ValueError(f"MODEL_CACHE_BYTES={raw!r}: expected a positive integer number of bytes")
        return value, "MODEL_CACHE_BYTES"
    workers = max(1.0, _env_float(environ, "SAGEMAKER_MODEL_SERVER_WORKERS", 1.0))
    fraction = None
    if environ.get("MODEL_CACHE_FRACTION") not in (None, ""):
        fraction = _env_float(environ, "MODEL_CACHE_FRACTION", DEFAULT_FRACTION)
        if not 0 < fraction <= 1:
            raise ValueError(f"MODEL_CACHE_FRACTION={environ['MODEL_CACHE_FRACTION']!r}: expected a number in (0, 1]")
    may_use_cuda = any(s.framework == "pytorch" for s in specs.values())
    total, device = device_total_memory(may_use_cuda, gpu_id)
    if fraction is not None:
        why = f"MODEL_CACHE_FRACTION={fraction:g}"
    else:
        gpus = cuda_device_count(may_use_cuda) if device != "CPU" else 0
        sharing = math.ceil(workers / gpus) if gpus > 0 else workers
        fraction = DEFAULT_FRACTION / sharing
        why = (f"default fraction {DEFAULT_FRACTION:g} / {sharing:g} worker(s) sharing the GPU "
               f"({workers:g} worker(s) over {gpus} GPU(s))" if gpus > 0
               else f"default fraction {DEFAULT_FRACTION:g} / {workers:g} worker(s)")
    return int(total * fraction), f"{why} of {_mb(total)} {device} memory"


def cuda_device_count(may_use_cuda):
    """GPUs TorchServe spreads the workers over (0 without CUDA)."""
    if may_use_cuda:
        try:
            torch = importlib.import_module("torch")
            if torch.cuda.is_available():
                return int(torch.cuda.device_count())
        except ImportError:
            pass
    return 0


def device_total_memory(may_use_cuda, gpu_id=None):
    if may_use_cuda:
        try:
            torch = importlib.import_module("torch")
            if torch.cuda.is_available():
                dev = torch.device("cuda", gpu_id or 0)
                return int(torch.cuda.mem_get_info(dev)[1]), f"CUDA {dev} ({torch.cuda.get_device_name(dev)})"
        except ImportError:
            pass
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit_file) as f:
                text = f.read().strip()
            if text.isdigit():
                total = min(total, int(text))
        except OSError:
            pass
    return total, "CPU"


def _env_float(environ, key, default):
    raw = environ.get(key)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{key}={raw!r}: expected a number") from None


def _mb(n):
    return f"{n / 2**20:.1f} MiB"


# --------------------------------------------------------------------------------------
# Model cache: LRU, memory-bounded, thread-safe
# --------------------------------------------------------------------------------------

class _Entry:
    __slots__ = ("spec", "state", "model", "refs", "last_used", "error", "failed_at", "attempt")

    def __init__(self, spec):
        self.spec, self.state, self.model, self.refs = spec, "absent", None, 0
        self.last_used, self.error, self.failed_at, self.attempt = 0, None, 0.0, 0


class ModelCache:
    """Loads models on first use into a budget of ``budget_bytes`` (each model counts its
    manifest ``memoryBytes``), evicting least-recently-used unpinned models that no request
    is using. Every load is counted in ``stats``; ``peak_bytes`` tracks the highest resident
    + loading total, which never exceeds the budget."""

    def __init__(self, specs, budget_bytes, loader, retry_seconds=5.0, wait_seconds=30.0, clock=time.monotonic):
        self.budget = int(budget_bytes)
        self.loader, self.retry_seconds, self.wait_seconds, self.clock = loader, retry_seconds, wait_seconds, clock
        self._entries = {name: _Entry(spec) for name, spec in specs.items()}
        self._cond = threading.Condition()
        self._tick = 0
        self.used_bytes = 0
        self.stats = {"hits": 0, "misses": 0, "loads": {}, "evictions": {}, "load_seconds": 0.0,
                      "failures": {}, "peak_bytes": 0}
        pinned = [s for s in specs.values() if s.pinned]
        pinned_bytes = sum(s.memory_bytes for s in pinned)
        self.pinned_bytes = pinned_bytes
        if pinned_bytes > self.budget:
            raise ValueError(f"pinned models need {_mb(pinned_bytes)} ("
                             + ", ".join(f"{s.name} {_mb(s.memory_bytes)}" for s in pinned)
                             + f") but the model cache budget is {_mb(self.budget)}; raise MODEL_CACHE_BYTES "
                               "or MODEL_CACHE_FRACTION, or unpin models in models.json")

    # -- public -------------------------------------------------------------------------
    def load_pinned(self):
        for e in self._entries.values():
            if e.spec.pinned:
                with self.use(e.spec.name):
                    pass

    def ready(self):
        with self._cond:
            return all(e.state == "loaded" for e in self._entries.values() if e.spec.pinned)

    def resident(self):
        """Names of loaded models, least recently used first."""
        with self._cond:
            loaded = [e for e in self._entries.values() if e.state == "loaded"]
            return [e.spec.name for e in sorted(loaded, key=lambda e: e.last_used)]

    @contextmanager
    def use(self, name):
        """Yield the loaded model; it cannot be evicted until the block ends."""
        entry = self._acquire(name)
        try:
            yield entry.model
        finally:
            with self._cond:
                entry.refs -= 1
                self._cond.notify_all()

    # -- internals ----------------------------------------------------------------------
    def _acquire(self, name):
        entry = self._entries[name]
        spec = entry.spec
        deadline = self.clock() + self.wait_seconds
        waited_on = None
        with self._cond:
            counted = False
            while True:
                if entry.state == "loaded":
                    entry.refs += 1
                    self._touch(entry)
                    if not counted:
                        self.stats["hits"] += 1
                    return entry
                if entry.state == "loading":
                    waited_on = entry.attempt
                    self._wait(deadline, spec, loading=True)
                    continue
                if not counted:
                    self.stats["misses"] += 1
                    counted = True
                if entry.state == "failed" and (waited_on == entry.attempt or
                                                self.clock() - entry.failed_at < self.retry_seconds):
                    raise self._load_error(entry)
                self._check_fits(spec)
                freed = self._make_room(spec)
                if freed is None:  # in-use models must finish first
                    self._wait(deadline, spec, loading=False)
                    continue
                entry.state, entry.attempt = "loading", entry.attempt + 1
                self.used_bytes += spec.memory_bytes
                self.stats["peak_bytes"] = max(self.stats["peak_bytes"], self.used_bytes)
                break
        if freed:
            _free_memory(freed)
        start = time.perf_counter()
        try:
            model = self.loader(spec)
        except BaseException as e:  # recorded (never stuck "loading"), answered as 500, retried later
            with self._cond:
                entry.state, entry.failed_at = "failed", self.clock()
                entry.error = f"{type(e).__name__}: {str(e)[:900]} (file {spec.rel_path})"
                self.used_bytes -= spec.memory_bytes
                self.stats["failures"][name] = self.stats["failures"].get(name, 0) + 1
                self._cond.notify_all()
            LOG.error("model '%s' failed to load (%s); requests get 500 and it is retried after %g s",
                      name, entry.error, self.retry_seconds)
            if not isinstance(e, Exception):  # KeyboardInterrupt, SystemExit: not ours to answer
                raise
            raise self._load_error(entry) from e
        seconds = time.perf_counter() - start
        with self._cond:
            entry.model, entry.state, entry.refs, entry.error = model, "loaded", 1, None
            self._touch(entry)
            self.stats["loads"][name] = self.stats["loads"].get(name, 0) + 1
            self.stats["load_seconds"] += seconds
            self._cond.notify_all()
            used = self.used_bytes
        measured = getattr(model, "nbytes", None)
        LOG.info("loaded model '%s' (%s, %s declared%s) on %s in %.3f s; resident %s of %s",
                 name, spec.framework, _mb(spec.memory_bytes),
                 f", {_mb(measured)} parameters" if measured else "", getattr(model, "device", "cpu"),
                 seconds, _mb(used), _mb(self.budget))
        if measured and measured > spec.memory_bytes:
            LOG.warning("model '%s' holds %s of parameters, more than its memoryBytes %s in models.json; "
                        "run `npm run measure-models`", name, _mb(measured), _mb(spec.memory_bytes))
        return entry

    def _touch(self, entry):
        self._tick += 1
        entry.last_used = self._tick

    def _wait(self, deadline, spec, loading):
        remaining = deadline - self.clock()
        if remaining <= 0:
            why = ("is still loading in another request" if loading else
                   f"could not get room: the cache budget {_mb(self.budget)} is held by models in use")
            raise _bad("cache_busy", f"model '{spec.name}' ({_mb(spec.memory_bytes)}) {why} after "
                                     f"{self.wait_seconds:g} s (MODEL_CACHE_WAIT_SECONDS); retry the request", 503)
        self._cond.wait(remaining)

    def _check_fits(self, spec):
        room = self.budget - (0 if spec.pinned else self.pinned_bytes)
        if spec.memory_bytes > room:
            raise _bad("model_too_large", f"model '{spec.name}' needs {_mb(spec.memory_bytes)} (memoryBytes in "
                                          f"models.json) but the model cache holds {_mb(self.budget)}"
                                          + (f" of which pinned models keep {_mb(self.pinned_bytes)}"
                                             if not spec.pinned and self.pinned_bytes else "")
                                          + "; raise MODEL_CACHE_BYTES or MODEL_CACHE_FRACTION, or use a larger "
                                            "instance", 507)

    def _make_room(self, spec):
        """Evict LRU idle unpinned models until ``spec`` fits. Returns weak references to the
        evicted models, or None (evicting nothing) when it cannot fit yet because models are
        in use or loading."""
        excess = self.used_bytes + spec.memory_bytes - self.budget
        if excess <= 0:
            return []
        idle = sorted((e for e in self._entries.values() if e.state == "loaded" and e.refs == 0 and not e.spec.pinned),
                      key=lambda e: e.last_used)
        victims = []
        for e in idle:
            if excess <= 0:
                break
            victims.append(e)
            excess -= e.spec.memory_bytes
        if excess > 0:
            return None
        gone = []
        for victim in victims:
            gone.append((victim.spec.name, _weak(victim.model)))
            victim.model, victim.state = None, "absent"
            self.used_bytes -= victim.spec.memory_bytes
            self.stats["evictions"][victim.spec.name] = self.stats["evictions"].get(victim.spec.name, 0) + 1
            LOG.info("evicted model '%s' (%s, least recently used) to make room for '%s' (%s); resident %s of %s",
                     victim.spec.name, _mb(victim.spec.memory_bytes), spec.name, _mb(spec.memory_bytes),
                     _mb(self.used_bytes), _mb(self.budget))
        return gone

    def _load_error(self, entry):
        return _bad("model_load_failed", f"model '{entry.spec.name}' could not be loaded: {entry.error}; "
                                         f"it is retried on a request after {self.retry_seconds:g} s", 500)


def _weak(obj):
    try:
        return weakref.ref(obj)
    except TypeError:  # not weak-referenceable: assume it may need a collection
        return lambda: obj


def _free_memory(gone):
    """Really release evicted models: models still alive after their last reference was
    dropped sit in reference cycles, so collect those (a full collection can take a few
    hundred ms in a big process, hence only then); then return cached CUDA blocks."""
    if any(ref() is not None for _, ref in gone):
        gc.collect()
        for name, ref in gone:
            if ref() is not None:
                LOG.warning("evicted model '%s' is still referenced after garbage collection; "
                            "its memory is not freed", name)
    torch = importlib.sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


# --------------------------------------------------------------------------------------
# Framework handlers: each returns an object with predict_proba(batch) -> [N, labels]
# --------------------------------------------------------------------------------------

_PACKAGES = {"pytorch": "torch", "sklearn": "scikit-learn", "tensorflow": "tensorflow"}


def _gpu_id(context):
    props = getattr(context, "system_properties", None) or {}
    try:
        return int(props["gpu_id"]) if props.get("gpu_id") is not None else None
    except (TypeError, ValueError):
        return None


# Leading bytes of what torch.jit.save (a zip) and joblib.dump (a pickle, or one of joblib's
# compressors: zlib, gzip, bz2, xz, lzma, lz4) write.
_MAGIC = {"pytorch": (b"PK\x03\x04",),
          "sklearn": (b"\x80", b"\x78", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00", b"\x04\x22\x4d\x18")}


def check_model_file(spec):
    """A cheap start-time check of one model's artifact (exists, non-empty, the framework's file
    signature; a SavedModel directory holds saved_model.pb). Returns a problem naming the model and
    its file, or None. Loading can still fail later; this catches truncated or garbage files early."""
    where = f"model '{spec.name}' (file {spec.rel_path})"
    if spec.framework == "tensorflow":
        ok = os.path.isfile(os.path.join(spec.path, "saved_model.pb"))
        return None if ok else f"{where}: not a SavedModel directory with saved_model.pb"
    if not os.path.isfile(spec.path):
        return f"{where}: does not exist"
    with open(spec.path, "rb") as f:
        head = f.read(8)
    if not head:
        return f"{where}: is empty"
    if not head.startswith(_MAGIC[spec.framework]):
        kind = "a TorchScript zip" if spec.framework == "pytorch" else "a joblib/pickle file"
        return f"{where}: is not {kind} (starts with {head[:4].hex()}); re-export it or rebuild the archive"
    return None


def load_model(spec, gpu_id=None):
    if not os.path.isfile(spec.path) and not os.path.isdir(spec.path):
        raise FileNotFoundError(f"{spec.path} does not exist (models.json path {spec.rel_path!r})")
    if spec.framework == "pytorch":
        return TorchModel(spec, gpu_id)
    return {"sklearn": SklearnModel, "tensorflow": TensorFlowModel}[spec.framework](spec)


def _require(module, spec):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = _PACKAGES[spec.framework]
        raise ImportError(f"model '{spec.name}' uses framework '{spec.framework}' but Python package "
                          f"'{package}' is not installed ({e}); add '{package}==<version>' to "
                          "code/requirements.txt") from e


class TorchModel:
    """TorchScript module; CUDA when available (the worker's GPU), else CPU; batches under
    inference_mode."""

    def __init__(self, spec, gpu_id=None):
        torch = self.torch = _require("torch", spec)
        self.device = torch.device("cuda", gpu_id or 0) if torch.cuda.is_available() else torch.device("cpu")
        self.module = torch.jit.load(spec.path, map_location=self.device).eval()
        tensors = list(self.module.parameters()) + list(self.module.buffers())
        self.nbytes = sum(t.numel() * t.element_size() for t in tensors)

    def predict_proba(self, batch):
        torch = self.torch
        with torch.inference_mode():
            out = self.module(torch.from_numpy(np.ascontiguousarray(batch)).to(self.device))
            return to_probabilities(out.float().cpu().numpy())


class SklearnModel:
    """joblib-saved estimator or Pipeline with predict_proba; columns put in label order."""

    def __init__(self, spec):
        _require("sklearn", spec)
        joblib = _require("joblib", spec)
        self.model = joblib.load(spec.path)
        self.device = "cpu"
        if not hasattr(self.model, "predict_proba"):
            raise TypeError(f"{spec.rel_path} holds a {type(self.model).__name__} without predict_proba")
        classes = list(getattr(self.model, "classes_", range(len(spec.labels))))
        self.columns = []
        for c in classes:
            if isinstance(c, str) and c in spec.labels:
                self.columns.append(spec.labels.index(c))
            elif isinstance(c, (int, np.integer)) and 0 <= int(c) < len(spec.labels):
                self.columns.append(int(c))
            else:
                raise ValueError(f"{spec.rel_path}: class {c!r} is neither a label of models.json "
                                 f"({spec.labels}) nor an index into them")
        self.n_labels = len(spec.labels)

    def predict_proba(self, batch):
        probs = np.asarray(self.model.predict_proba(batch))
        out = np.zeros((probs.shape[0], self.n_labels))
        out[:, self.columns] = probs
        return out


_tf_growth_lock = threading.Lock()
_tf_growth_done = False


def enable_tf_memory_growth(tf):
    """Make TensorFlow allocate GPU memory on demand instead of reserving the whole GPU
    (it would starve PyTorch in the same process). Must run before TF touches a GPU."""
    global _tf_growth_done
    with _tf_growth_lock:
        if _tf_growth_done:
            return
        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError as e:  # GPU already initialised
                LOG.warning("could not enable TensorFlow memory growth on %s: %s", gpu, e)
        _tf_growth_done = True


class TensorFlowModel:
    """SavedModel's serving_default signature. UNTESTED against real TensorFlow (not
    installable here); tested against tests/python/fake_tensorflow."""

    def __init__(self, spec):
        os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # read when TF initialises a GPU
        tf = self.tf = _require("tensorflow", spec)
        enable_tf_memory_growth(tf)  # before loading anything
        self.device = "tensorflow"
        self.loaded = tf.saved_model.load(spec.path)
        self.fn = self.loaded.signatures["serving_default"]

    def predict_proba(self, batch):
        outputs = self.fn(self.tf.constant(batch))
        if isinstance(outputs, dict):
            key = next((k for k in ("probabilities", "probs", "logits") if k in outputs), None)
            if key is None:
                if len(outputs) != 1:
                    raise ValueError(f"serving_default returns {sorted(outputs)}; expected one output "
                                     "or one named probabilities/logits")
                key = next(iter(outputs))
            outputs = outputs[key]
        return to_probabilities(np.asarray(outputs.numpy() if hasattr(outputs, "numpy") else outputs))


def _ensure_log_handler():
    if not logging.getLogger().handlers and not LOG.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
