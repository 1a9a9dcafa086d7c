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
import argparse
import json
import sys
import time

WARMUP = 10


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="floor.py", description="The in-process floor of npm run bench:serve (started by the bench).",
        epilog="examples:\n  /usr/bin/python3 scripts/bench/serveBench/floor.py /tmp/model payloads.json 400",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: {message}; see --help\n")
    parser.add_argument("model_dir", help="an extracted archive (code/inference.py inside)")
    parser.add_argument("payload_file", help='JSON list of {"key": ..., "body": ...}')
    parser.add_argument("n", type=int, help="timed calls per payload")
    return parser.parse_args(argv[1:])


def main(argv):
    args = parse_args(argv)
    model_dir, payload_file, n = args.model_dir, args.payload_file, args.n
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
