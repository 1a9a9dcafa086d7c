"""The stand-in model server of `npm run bench:serve` (scripts/bench/serveBench/standin.py): busy for the time set for a
body's length, then that length's answer, through the model server's own HTTP side."""
import http.client
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
STANDIN = os.path.join(REPO, "scripts", "bench", "serveBench", "standin.py")


def post(port, body, method="POST", path="/invocations"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        started = time.perf_counter()
        conn.request(method, path, body, {"Content-Type": "application/json"})
        res = conn.getresponse()
        return res.status, res.read(), (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def test_standin_answers_a_set_length_after_its_busy_time_and_refuses_others_until_stdin_closes():
    proc = subprocess.Popen([sys.executable, STANDIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        port = json.loads(proc.stdout.readline())["port"]
        proc.stdin.write(json.dumps({"length": 5, "busy_ms": 30, "answer": '{"ok": 1}'}) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline()) == {"ok": True}

        status, body, ms = post(port, b"12345")
        assert (status, body) == (200, b'{"ok": 1}')
        assert ms >= 30, f"answered after {ms:.1f} ms, before its busy time"

        status, body, _ = post(port, b"123456")
        assert status == 500 and b"no answer set for a body of 6 bytes" in body
        assert post(port, None, "GET", "/ping")[0] == 404

        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
