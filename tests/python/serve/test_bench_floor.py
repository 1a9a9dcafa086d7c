"""The in-process floor of `npm run bench:serve` (scripts/bench/serveBench/floor.py) answers timed turns on request."""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FLOOR = os.path.join(REPO, "scripts", "bench", "serveBench", "floor.py")


def test_floor_times_the_asked_number_of_handler_calls_per_turn_until_stdin_closes(tmp_path):
    payloads = tmp_path / "payloads.json"
    payloads.write_text(json.dumps([{"key": "sentiment x1", "body": json.dumps({"model": "sentiment", "inputs": ["great"]})}]))
    proc = subprocess.Popen([sys.executable, FLOOR, os.path.join(REPO, "model-src"), str(payloads)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert json.loads(proc.stdout.readline()) == {"ready": True}
        for n in (3, 5):
            proc.stdin.write(json.dumps({"key": "sentiment x1", "n": n}) + "\n")
            proc.stdin.flush()
            turn = json.loads(proc.stdout.readline())
            assert len(turn["ms"]) == n and all(ms > 0 for ms in turn["ms"])
            assert turn["cpu_ms"] > 0
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
