#!/usr/bin/python3
"""The in-process floor of `npm run bench:serve`: the handler called directly, no HTTP, no worker pipe.

Loads code/inference.py of an extracted archive, runs model_fn once, then for each payload calls
transform_fn(models, body, "application/json", "application/json") (a str body, as the toolkit hands an
application/json body to the handler) a few times to warm up and N times timed, one call after the other.
It runs with whatever environment it is given: the bench gives it the model server's worker environment
(thread and allocator variables included), so the floor has the same settings as the workers.

Usage: floor.py MODEL_DIR PAYLOADS_JSON N
  PAYLOADS_JSON: [{"key": ..., "body": ...}]
Prints one JSON object: {key: {"ms": [wall ms per call], "cpu_ms": CPU ms per call (time.process_time)}}.
"""
import json
import sys
import time

WARMUP = 10


def main(argv):
    model_dir, payload_file, n = argv[1], argv[2], int(argv[3])
    sys.path.insert(0, model_dir + "/code")
    import inference  # noqa: E402 - the archive's handler, as the worker imports it

    models = inference.model_fn(model_dir)
    with open(payload_file, encoding="utf-8") as f:
        payloads = json.load(f)
    out = {}
    for p in payloads:
        for _ in range(WARMUP):
            inference.transform_fn(models, p["body"], "application/json", "application/json")
        wall = []
        cpu = time.process_time()
        for _ in range(n):
            t = time.perf_counter()
            inference.transform_fn(models, p["body"], "application/json", "application/json")
            wall.append((time.perf_counter() - t) * 1000)
        out[p["key"]] = {"ms": wall, "cpu_ms": (time.process_time() - cpu) * 1000 / n}
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
