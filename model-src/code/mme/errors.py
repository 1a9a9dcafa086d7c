"""A request error as the serving toolkit answers it: an HTTP status and one JSON document
``{"error": {"code": "...", "message": "..."}}``."""
import json
from http import HTTPStatus

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


def bad(code, detail, status=400):
    return InferenceError(status, code, detail)
