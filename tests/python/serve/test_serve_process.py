"""Tests of local/server/serve.py as its own process on a free port: serving, stopping on SIGTERM or when its
parent closes stdin (with its process group), and logging why loading failed."""
import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from serve_fixtures import HANDLER, SERVE, env_for, make_model_dir

@contextlib.contextmanager
def served(base, **extra):
    """serve.py as its own process on a free port: yields (process, port); killed if still running
    and its pipes closed afterwards."""
    env = dict(os.environ, **env_for(base, SAGEMAKER_BIND_TO_PORT="0", **extra))
    proc = subprocess.Popen(["/usr/bin/python3", str(SERVE)], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        line = proc.stdout.readline().decode()
        while line.startswith("LOCAL_SERVE_WORKER="):  # workers are started (and announced) before the port opens
            line = proc.stdout.readline().decode()
        if not line.startswith("LOCAL_SERVE_PORT="):
            proc.kill()
            raise AssertionError(f"no port line but {line!r}: {proc.stderr.read().decode()}")
        yield proc, int(line.strip().split("=", 1)[1])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            pipe.close()


def http(port, method, path, body=None, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_healthy(port, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http(port, "GET", "/ping")[0] == 200:
            return True
        time.sleep(0.05)
    return False


def test_the_process_serves_on_a_free_port_and_stops_on_sigterm(tmp_path):
    base = make_model_dir(tmp_path)
    with served(base, FIXTURE_LOAD_DELAY="0.5") as (proc, port):
        assert http(port, "GET", "/ping")[0] == 503
        assert wait_healthy(port)
        status, body = http(port, "POST", "/invocations", b'{"a": 1}', {"Content-Type": "application/json"})
        assert status == 200 and json.loads(body)["model"] == "w-42"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0


def alive(pid):
    """True while pid runs (a zombie waiting to be reaped counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_the_process_and_its_group_exit_when_its_parent_closes_stdin(tmp_path):
    handler = HANDLER.replace("def model_fn(model_dir):", "def model_fn(model_dir):\n"
                              "    import subprocess\n"
                              "    open(os.path.join(model_dir, 'helper.pid'), 'w').write("
                              "str(subprocess.Popen(['/bin/sleep', '300']).pid))")
    base = make_model_dir(tmp_path, handler=handler)
    with served(base, LOCAL_EXIT_ON_STDIN_CLOSE="1") as (proc, port):
        assert wait_healthy(port)
        helper = int((base / "model" / "helper.pid").read_text())
        proc.stdin.close()
        assert proc.wait(timeout=5) in (0, -signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and alive(helper):
            time.sleep(0.05)
        assert not alive(helper), "the handler's subprocess must not be orphaned"


def test_the_process_logs_the_cause_when_loading_fails(tmp_path):
    base = make_model_dir(tmp_path)
    with served(base, FIXTURE_LOAD_FAIL="1") as (proc, port):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status, body = http(port, "GET", "/ping")
            if json.loads(body)["status"] == "Unhealthy":
                break
            time.sleep(0.05)
        assert status == 503
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        assert "model file fixture/weights.txt is corrupt" in proc.stderr.read().decode()
