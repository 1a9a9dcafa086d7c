"""The three stages of ``inference.transform_fn``, one function each, for scripts/debug.py, the
benchmarks and the tests: ``input_fn`` (parse the envelope), ``predict_fn`` (validate and
predict), ``output_fn`` (serialise). They raise ``mme.errors.InferenceError`` on a bad request.

This module is never the handler module: the toolkit loads ``inference`` (SAGEMAKER_PROGRAM),
which defines only ``model_fn`` and ``transform_fn`` (the toolkit refuses a module with both
kinds of entry point)."""
from mme.request import check_accept, parse_request, serialize  # noqa: F401 - re-exported


def input_fn(request_body, content_type):
    """Parse and check the request envelope (body as str or bytes). Model-specific checks
    (shape, dtype, range, batch size) happen in ``predict_fn``, which knows the manifest."""
    return parse_request(request_body, content_type)


def predict_fn(data, models):
    """Validate the inputs against the model's manifest entry, get the model from the
    cache and predict the whole batch at once. Returns the response dict."""
    return models.predict(data)


def output_fn(prediction, accept):
    """Serialise as JSON; (body, content type)."""
    return serialize(prediction, accept)
