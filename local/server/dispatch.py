"""How the SageMaker PyTorch container calls a handler module, for one local worker process.

Follows the serving toolkit's ``Transformer`` (sagemaker-inference-toolkit, vendored by
sagemaker-pytorch-inference-toolkit) and TorchServe's Python worker (``ts.service``,
``ts.context``, ``ts.protocol.otf_message_handler``), written from their documented behaviour:

* load: the module ``SAGEMAKER_PROGRAM`` (default ``inference.py``) from ``<model dir>/code``;
  a module defining ``transform_fn`` together with ``input_fn``/``predict_fn``/``output_fn`` is
  refused with the toolkit's ValueError; ``pre_model_fn(model_dir)``, ``model_fn(model_dir)`` and
  ``model_warmup_fn(model_dir, model)`` run once, each given a trailing ``context`` when it takes
  one more parameter than that.
* per request: Accept missing or ``*/*`` becomes ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``
  (default application/json); a body of exactly ``application/json`` or ``text/csv`` is decoded
  as UTF-8 first; ``transform_fn(model, body, content_type, accept[, context])`` (or
  input_fn -> predict_fn -> output_fn) runs; a tuple result sets the response Content-Type,
  otherwise the Accept value does; a status set with ``context.set_response_status`` is used.
* a raised exception: status and phrase of a ``BaseInferenceToolkitError``-shaped exception
  (``status_code``, ``message``, ``phrase``), else 500 with the exception text; body
  ``"<message>\\n<traceback>"``, NO Content-Type, and one ERROR log record with the traceback.
* the body goes out as TorchServe encodes it: bytes as they are, str as UTF-8, anything else as
  ``json.dumps(value, indent=2)``.

The toolkit's default handlers (used when a module lacks ``model_fn`` or the stage functions)
are not reproduced: such a module is refused here with a message saying so.
"""
import functools
import importlib
import inspect
import json
import logging
import os
import re
import sys
import traceback

UTF8_TYPES = ("application/json", "text/csv")
ANY = "*/*"
CONTENT_TYPE_KEY = re.compile("^[Cc]ontent-?[Tt]ype")
STAGES = ("input_fn", "predict_fn", "output_fn")

log = logging.getLogger("worker")


class RequestState:
    """One request's headers in, status and headers out (what TorchServe's RequestProcessor holds)."""

    def __init__(self, headers):
        self.headers = headers
        self.status, self.phrase, self.response_headers = 200, None, {}


class Context:
    """The per-worker context a handler function receives: ``system_properties`` (``model_dir``,
    ``gpu_id`` (None on CPU), ``batch_size`` 1), ``model_name`` and the TorchServe methods a handler
    uses to read request headers and set the response status and headers (index 0: one request)."""

    def __init__(self, model_dir, gpu_id):
        self.model_name = "model"
        self.manifest = None
        self.system_properties = {"model_dir": model_dir, "gpu_id": gpu_id, "batch_size": 1,
                                  "server_name": "MMS", "server_version": "local"}
        self.request_processor = None
        self.request_ids = None

    def get_request_header(self, idx, key):
        return self.request_processor[idx].headers.get(key)

    def get_all_request_header(self, idx):
        return self.request_processor[idx].headers

    def set_response_status(self, code=200, phrase="", idx=0):
        if self.request_processor is not None and self.request_processor[idx] is not None:
            self.request_processor[idx].status, self.request_processor[idx].phrase = code, phrase

    def get_response_status(self, idx):
        return self.request_processor[idx].status, self.request_processor[idx].phrase

    def set_response_header(self, idx, key, value):
        self.request_processor[idx].response_headers[key] = value

    def set_response_content_type(self, idx, value):
        self.set_response_header(idx, "content-type", value)

    def get_response_headers(self, idx):
        return self.request_processor[idx].response_headers


@functools.lru_cache(maxsize=64)
def _parameter_count(func):
    return len(inspect.signature(func).parameters)


def run_handler(func, context, *args):
    """Calls ``func(*args)``, or ``func(*args, context)`` when it takes exactly one more parameter
    (the count is read once per function, not on every request)."""
    n = _parameter_count(func)
    if n == len(args):
        return func(*args)
    if n == len(args) + 1:
        return func(*args, context)
    raise TypeError(f"{func.__name__} takes {n} arguments but {len(args)} were given.")


def encode(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, indent=2).encode("utf-8")


class Handler:
    """The handler module of one model directory, loaded as the toolkit loads it."""

    def __init__(self, model_dir, gpu_id=None, environ=None):
        env = os.environ if environ is None else environ
        program = env.get("SAGEMAKER_PROGRAM", "inference.py")
        self.module_name = program[:-3] if program.endswith(".py") else program
        self.model_dir = model_dir
        self.code_dir = os.path.join(model_dir, "code")
        self.default_accept = env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "application/json")
        self.context = Context(model_dir, gpu_id)
        self.model = None
        self.fns = {}

    def load(self):
        """Imports the module and runs model_fn; raises with a clear message on any problem."""
        path = os.path.join(self.code_dir, self.module_name + ".py")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"handler module {path} not found (SAGEMAKER_PROGRAM={self.module_name}.py); "
                                    f"the archive must contain code/{self.module_name}.py")
        if self.code_dir not in sys.path:
            sys.path.insert(0, self.code_dir)
        module = importlib.import_module(self.module_name)
        fns = {n: getattr(module, n) for n in ("pre_model_fn", "model_fn", "model_warmup_fn", "transform_fn") + STAGES
               if callable(getattr(module, n, None))}
        if "transform_fn" in fns and any(n in fns for n in STAGES):
            raise ValueError("Cannot use transform_fn implementation in conjunction with "
                             "input_fn, predict_fn, and/or output_fn implementation")
        missing = [n for n in ("model_fn",) + (() if "transform_fn" in fns else STAGES) if n not in fns]
        if missing:
            raise AttributeError(f"{path} does not define {', '.join(missing)}; the local server does not "
                                 "reproduce the toolkit's default handlers, define model_fn and transform_fn "
                                 "(or input_fn, predict_fn, output_fn)")
        self.fns = fns
        if "pre_model_fn" in fns:
            run_handler(fns["pre_model_fn"], self.context, self.model_dir)
        self.model = run_handler(fns["model_fn"], self.context, self.model_dir)
        if "model_warmup_fn" in fns:
            run_handler(fns["model_warmup_fn"], self.context, self.model_dir, self.model)

    def _transform(self, model, data, content_type, accept):
        if "transform_fn" in self.fns:
            return run_handler(self.fns["transform_fn"], self.context, model, data, content_type, accept)
        parsed = run_handler(self.fns["input_fn"], self.context, data, content_type)
        prediction = run_handler(self.fns["predict_fn"], self.context, parsed, model)
        return run_handler(self.fns["output_fn"], self.context, prediction, accept)

    def invoke(self, body, headers):
        """One request: (status, phrase or None, content type or None, body bytes). Never raises."""
        state = RequestState(dict(headers))
        self.context.request_processor = [state]
        try:
            content_type = next((v for k, v in headers.items() if CONTENT_TYPE_KEY.match(k)), None)
            accept = headers.get("Accept") or headers.get("accept")
            if not accept or accept == ANY:
                accept = self.default_accept
            if content_type in UTF8_TYPES:
                body = body.decode("utf-8")
            result = self._transform(self.model, body, content_type, accept)
            response_type = accept
            if isinstance(result, tuple):
                result, response_type = result[0], result[1]
            self.context.set_response_content_type(0, response_type)
        except Exception as e:  # noqa: BLE001 - answered as the toolkit answers it
            trace = traceback.format_exc()
            status, message, phrase = toolkit_error(e)
            log.error("Transform failed for model: %s. Error traceback: %s", self.context.model_name, trace.splitlines())
            state.status, state.phrase = status, phrase.replace("\r", " ").replace("\n", " ")
            return state.status, state.phrase, None, f"{message}\n{trace}".encode("utf-8")
        try:
            payload = encode(result)
        except TypeError:
            log.warning("Unable to serialize model output.", exc_info=True)
            return 503, None, None, b"error"
        return state.status, state.phrase, state.response_headers.get("content-type"), payload


def toolkit_error(exc):
    """(status, message, phrase) as the toolkit derives them from an exception."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool) and hasattr(exc, "message") and hasattr(exc, "phrase"):
        return status, str(exc.message), str(exc.phrase)
    message = str(exc) or "Invalid Request"
    return 500, message, message
