"""The wire format of one request: the JSON envelope ``{"model": "<name>", "inputs": [...]}``,
its Content-Type, the Accept header and the serialised response. Pure."""
import json

from mme.errors import bad

JSON = "application/json"


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


def type_name(value):
    """The JSON type of ``value`` with its article, for messages: 'a number', 'null', ..."""
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), f"a {type(value).__name__}")


def parse_request(body, content_type):
    if _media_type(content_type) != JSON:
        raise bad("unsupported_content_type",
                  f"Content-Type {content_type!r} is not supported; send application/json", 415)
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as e:
            raise bad("malformed_json", f"request body is not UTF-8 text ({e})")
    if not isinstance(body, str):
        raise bad("malformed_json", f"request body must be JSON text, got {type(body).__name__}")
    try:
        obj = json.loads(body, parse_constant=_reject_constant)
    except ValueError as e:
        raise bad("malformed_json", f"request body is not valid JSON: {e}")
    except RecursionError:
        raise bad("malformed_json", "request body nests lists or objects too deeply to parse")
    if not isinstance(obj, dict):
        raise bad("invalid_body", 'request body must be a JSON object {"model": "<name>", "inputs": [...]}, '
                                  f"got {type_name(obj)}")
    # "model" may be left out: an archive with one model (one inference component) serves it (Router.predict)
    if "inputs" not in obj:
        raise bad("missing_field", "; ".join(f"missing field '{k}'" for k in ("model", "inputs") if k not in obj) +
                  ' (expected {"model": "<name>", "inputs": [...]})')
    unknown = sorted(k for k in obj if k not in ("model", "inputs"))
    if unknown:
        raise bad("unknown_field", f"unknown field(s) {', '.join(repr(k) for k in unknown)}; "
                                   "the body has only 'model' and 'inputs'")
    if "model" in obj and not isinstance(obj["model"], str):
        raise bad("invalid_field", f"field 'model' must be a string (a model name), got {type_name(obj['model'])}")
    if not isinstance(obj["inputs"], list):
        raise bad("invalid_field", "field 'inputs' must be a list (a batch; send one input as [input]), "
                                   f"got {type_name(obj['inputs'])}")
    return Request(obj.get("model"), obj["inputs"])


def check_accept(accept):
    """Raise 406 unless the Accept header allows JSON (missing header allowed)."""
    if accept is None or not str(accept).strip():
        return
    for part in str(accept).split(","):
        if _media_type(part) in (JSON, "application/*", "*/*"):
            return
    raise bad("unsupported_accept", f"Accept {accept!r} is not supported; accept application/json", 406)


def serialize(prediction, accept):
    """Serialise as JSON. Accepts ``application/json``, ``application/*``, ``*/*`` or no
    Accept header; returns (body, content type) as the toolkit allows."""
    check_accept(accept)
    return json.dumps(prediction, separators=(",", ":")), JSON

