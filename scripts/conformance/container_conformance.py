"""Maintainers' check, run by scripts/conformance/containerConformance.ts (`npm run test:container`): answers a
list of requests through the UNMODIFIED serving code of the SageMaker PyTorch container, given on
PYTHONPATH: TorchServe's Python worker (ts.model_loader.TsModelLoader loading
sagemaker_pytorch_serving_container.handler_service, ts.service.Service.predict,
ts.protocol.otf_message_handler.create_predict_response) with the toolkits behind it, on an
extracted model archive. Each request goes in as TorchServe's front end hands it to the worker
(body bytes, Content-Type and Accept headers); each answer is decoded from the worker's binary
response (status, Content-Type, body).

    container_conformance.py MODEL_DIR REQUESTS_JSON ANSWERS_JSON

REQUESTS_JSON: [{"name", "content_type" (or null: no header), "accept" (or null), "body_b64"}]
ANSWERS_JSON:  [{"name", "status", "content_type" (null: none), "body_b64"}]
"""
import base64
import json
import os
import struct
import sys
import uuid


def decode_response(msg):
    """(status, content type or None, body) of the single request in a predict response."""
    pos = 0

    def take_int():
        nonlocal pos
        value = struct.unpack("!i", msg[pos:pos + 4])[0]
        pos += 4
        return value

    def take_bytes():
        nonlocal pos
        n = take_int()
        data = bytes(msg[pos:pos + n])
        pos += n
        return data

    take_int()  # the batch's code
    take_bytes()  # the batch's message
    take_bytes()  # request id
    content_type = take_bytes().decode() or None
    status = take_int()
    take_bytes()  # phrase
    for _ in range(take_int()):  # response headers
        take_bytes(), take_bytes()
    body = take_bytes()
    if take_int() != -1:
        raise ValueError("more than one answer in a one-request batch")
    return status, content_type, body


USAGE = """Usage: container_conformance.py MODEL_DIR REQUESTS_JSON ANSWERS_JSON

Answers the requests in REQUESTS_JSON through the container's unmodified serving code (on PYTHONPATH) for
the extracted archive MODEL_DIR and writes ANSWERS_JSON. Run by scripts/conformance/containerConformance.ts.

Examples:
  npm run test:container    # runs it with the reference sources on PYTHONPATH
"""


def main(argv):
    if len(argv) > 1 and argv[1] in ("--help", "-h"):
        print(USAGE, end="")
        return 0
    if len(argv) != 4 or any(a.startswith("-") for a in argv[1:]):
        print(f"container_conformance.py: expected MODEL_DIR REQUESTS_JSON ANSWERS_JSON, got {argv[1:]!r}; see --help", file=sys.stderr)
        return 2
    model_dir, requests_file, answers_file = argv[1:4]
    import ts
    from ts.metrics.metric_cache_yaml_impl import MetricsCacheYamlImpl
    from ts.model_loader import ModelLoaderFactory

    metrics = MetricsCacheYamlImpl(config_file_path=os.path.join(os.path.dirname(ts.__file__), "configs", "metrics.yaml"))
    metrics.initialize_cache()
    metrics.model_name = "model"
    service = ModelLoaderFactory.get_model_loader().load(
        "model", model_dir, "sagemaker_pytorch_serving_container.handler_service", None, 1,
        metrics_cache=metrics)
    service.set_cl_socket(None)

    with open(requests_file) as f:
        requests = json.load(f)
    answers = []
    for req in requests:
        body = base64.b64decode(req["body_b64"])
        headers = []
        if req.get("content_type") is not None:
            headers.append({"name": b"Content-Type", "value": req["content_type"].encode()})
        if req.get("accept") is not None:
            headers.append({"name": b"Accept", "value": req["accept"].encode()})
        batch = [{"requestId": str(uuid.uuid4()).encode(), "headers": headers,
                  "parameters": [{"name": "body", "contentType": req.get("content_type") or "", "value": body}]}]
        status, content_type, payload = decode_response(service.predict(batch))
        answers.append({"name": req["name"], "status": status, "content_type": content_type,
                        "body_b64": base64.b64encode(payload).decode()})
    with open(answers_file, "w") as f:
        json.dump(answers, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
