#!/usr/bin/python3
"""The in-process floor of `npm run bench:serve`: the handler called directly, no HTTP, no worker pipe.

Loads code/inference.py of an extracted archive and runs model_fn once, then answers one command per line on
stdin, so the bench can time the floor in turns alternating with the endpoint's (the machine's slow and fast
spells then fall on both alike). A command ``{"key": K, "n": N}`` calls
transform_fn(models, body, "application/json", "application/json") for payload K (a str body, as the toolkit hands
an application/json body to the handler) a few times to warm up, then N times timed, one call after the other,
and prints one line ``{"ms": [wall ms per call], "cpu_ms": CPU ms per call (time.process_time)}``. It runs with
whatever environment it is given: the bench gives it the model server's worker environment (thread and allocator
variables included), so the floor has the same settings as the workers. It exits when stdin closes.

Usage: floor.py MODEL_DIR PAYLOADS_JSON
  PAYLOADS_JSON: [{"key": ..., "body": ...}]
Prints ``{"ready": true}`` once the models are loaded.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from pycli import cli_parser  # noqa: E402 - scripts/pycli.py

WARMUP = 10


def parse_args(argv):
    parser = cli_parser("The in-process floor of npm run bench:serve (started by the bench).",
                        'examples:\n  echo \'{"key": "fashion x1", "n": 400}\' | '
                        '/usr/bin/python3 scripts/bench/serveBench/floor.py /tmp/model payloads.json', prog="floor.py")
    parser.add_argument("model_dir", help="an extracted archive (code/inference.py inside)")
    parser.add_argument("payload_file", help='JSON list of {"key": ..., "body": ...}')
    return parser.parse_args(argv[1:])


def timed_calls(inference, models, body, n):
    """{"ms": wall ms of each of n calls, "cpu_ms": CPU ms per call}."""
    wall = []
    cpu = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        inference.transform_fn(models, body, "application/json", "application/json")
        wall.append((time.perf_counter() - t) * 1000)
    return {"ms": wall, "cpu_ms": (time.process_time() - cpu) * 1000 / n}


def main(argv):
    args = parse_args(argv)
    sys.path.insert(0, args.model_dir + "/code")
    import inference  # noqa: E402 - the archive's handler, as the worker imports it

    models = inference.model_fn(args.model_dir)
    with open(args.payload_file, encoding="utf-8") as f:
        bodies = {p["key"]: p["body"] for p in json.load(f)}
    print(json.dumps({"ready": True}), flush=True)
    warm = set()
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        body = bodies[command["key"]]
        if command["key"] not in warm:
            timed_calls(inference, models, body, WARMUP)
            warm.add(command["key"])
        print(json.dumps(timed_calls(inference, models, body, int(command["n"]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
