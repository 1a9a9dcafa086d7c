"""The worker processes of the local model server, as TorchServe keeps them for one model.

``WorkerPool`` starts N processes of local/server/serve_worker.py; each loads the models itself (model_fn)
with a context carrying its gpu_id (TorchServe hands GPUs out round-robin; None on CPU) and serves
one request at a time. A request waits for a free loaded worker. A worker that does not answer
within the time limit is killed (SIGKILL) and replaced by a new process in the same slot (same
gpu_id), which reloads the models: the next request on it waits for that. The request is answered
as TorchServe answers it: 500 and ``{"code": 500, "type": "InternalServerException", "message":
"Worker died."}``. A worker that dies during a request is answered and replaced the same way.
"""
import fcntl
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time

from serve_worker import HEAD, read_frame, write_frame

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "serve_worker.py")
PIPE_BYTES = 1 << 20  # a request or answer up to 1 MiB crosses a worker's pipe in one write
WORKER_DIED = (json.dumps({"code": 500, "type": "InternalServerException", "message": "Worker died."},
                          indent=2) + "\n").encode()

log = logging.getLogger("serve")


def widen_pipes(proc):
    """Gives the worker's stdin and stdout pipes PIPE_BYTES of buffer (Linux's default is 64 KiB, so a larger
    body would cross in several writes, each waiting for the other process to read); kept as they are where
    the system does not allow it."""
    for stream in (proc.stdin, proc.stdout):
        try:
            fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
        except OSError:
            pass


class Worker:
    def __init__(self, slot, gpu_id, proc, replaces=None):
        self.slot, self.gpu_id, self.proc, self.replaces = slot, gpu_id, proc, replaces
        self.state = "loading"  # loading | ready | busy | failed | dead
        self.error = None


class WorkerPool:
    def __init__(self, model_dir, count, timeout, gpu_count=0, on_worker=None, python=sys.executable, env=None):
        self.model_dir, self.count, self.timeout, self.env = model_dir, count, timeout, env
        self.gpu_count, self.python = gpu_count, python
        self.on_worker = on_worker or (lambda worker: None)
        self.workers = []
        self.closed = False
        self._cond = threading.Condition()
        self._next_gpu = 0

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self):
        for slot in range(self.count):
            gpu_id = None
            if self.gpu_count > 0:
                gpu_id, self._next_gpu = self._next_gpu, (self._next_gpu + 1) % self.gpu_count
            self.workers.append(self._spawn(slot, gpu_id))

    def _spawn(self, slot, gpu_id, replaces=None):
        proc = subprocess.Popen([self.python, WORKER, self.model_dir, str(slot), "" if gpu_id is None else str(gpu_id)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=self.env)
        widen_pipes(proc)
        worker = Worker(slot, gpu_id, proc, replaces)
        log.info("worker %d: pid %d started (gpu_id %s), loading the models (model_fn)", slot, proc.pid, gpu_id)
        self.on_worker(worker)
        threading.Thread(target=self._await_load, args=(worker,), name=f"load-{slot}", daemon=True).start()
        return worker

    def _await_load(self, worker):
        started = time.monotonic()
        header, _ = read_frame(worker.proc.stdout.fileno())
        with self._cond:
            if worker.state != "loading":
                return
            if header is not None and header.get("event") == "loaded":
                worker.state = "ready"
                again = f" (replacing pid {worker.replaces}, which was killed)" if worker.replaces else ""
                log.info("worker %d: pid %d loaded the models in %.1f s%s", worker.slot, worker.proc.pid,
                         time.monotonic() - started, again)
            else:
                worker.state = "failed"
                worker.error = header.get("error") if header else f"worker exited with {worker.proc.wait()}"
                log.error("worker %d: pid %d failed to load the models: %s", worker.slot, worker.proc.pid, worker.error)
            self._cond.notify_all()

    def close(self):
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        for w in self.workers:
            self._kill(w)

    def kill_now(self):
        """SIGKILL to every worker and reap it (the server is exiting; a request whose worker this
        kills gets no answer, its connection closes when the server exits)."""
        self.closed = True
        for w in self.workers:
            try:
                w.proc.kill()
                w.proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass

    @staticmethod
    def _kill(worker):
        try:
            worker.proc.kill()
        except OSError:
            pass
        worker.proc.wait()
        for stream in (worker.proc.stdin, worker.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    # ---- state --------------------------------------------------------------------------
    def status(self):
        """("loading" | "ready" | "failed", the first failure or None) for /ping."""
        with self._cond:
            failed = [w for w in self.workers if w.state == "failed"]
            if failed and (len(failed) == len(self.workers) or any(w.replaces is None for w in failed)):
                return "failed", failed[0].error
            if not self.workers or any(w.state == "loading" and w.replaces is None for w in self.workers):
                return "loading", None  # the first load; a replacement reloading later keeps /ping healthy
            return "ready", None

    def pids(self):
        with self._cond:
            return [w.proc.pid for w in self.workers]

    # ---- requests -----------------------------------------------------------------------
    def _acquire(self, wait_seconds):
        deadline = time.monotonic() + wait_seconds
        with self._cond:
            while not self.closed:
                worker = next((w for w in self.workers if w.state == "ready"), None)
                if worker is not None:
                    worker.state = "busy"
                    return worker, None
                if self.workers and all(w.state == "failed" for w in self.workers):
                    return None, self.workers[0].error
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, f"no worker became free within {wait_seconds:g} s"
                self._cond.wait(left)
            return None, "the model server is stopping"

    def invoke(self, body, headers, wait_seconds=180.0):
        """(status, phrase, content type or None, body) of one request; (503, ...) when no worker can take it."""
        worker, why = self._acquire(wait_seconds)
        if worker is None:
            return 503, "Service Unavailable", "application/json", json.dumps(
                {"error": {"code": "ModelNotReady", "message": f"no worker can serve: {why}"}}).encode()
        try:
            write_frame(worker.proc.stdin.fileno(), {"headers": headers}, body)
            reply, payload = self._read_reply(worker)
        except OSError:
            reply, payload = None, b""
        if reply is None:
            return self._replace(worker)
        with self._cond:
            worker.state = "ready"
            self._cond.notify_all()
        return reply["status"], reply.get("phrase"), reply.get("content_type"), payload

    def _read_reply(self, worker):
        """The worker's reply, or (None, None) when it does not come within the time limit or the worker died."""
        fd = worker.proc.stdout.fileno()
        deadline = time.monotonic() + self.timeout
        buf = b""
        need = HEAD.size
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                worker.error = "timeout"
                return None, None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                worker.error = "died"
                return None, None
            buf += chunk
            if len(buf) >= HEAD.size:
                hlen, blen = HEAD.unpack(buf[:HEAD.size])
                need = HEAD.size + hlen + blen
                if len(buf) >= need:
                    header = json.loads(buf[HEAD.size:HEAD.size + hlen])
                    return header, buf[HEAD.size + hlen:need]

    def _replace(self, worker):
        timed_out = worker.error == "timeout"
        self._kill(worker)
        with self._cond:
            worker.state = "dead"
            stopping = self.closed
        if stopping:  # the server is exiting: no answer rather than a misleading one
            threading.Event().wait()
        with self._cond:
            fresh = self._spawn(worker.slot, worker.gpu_id, replaces=worker.proc.pid)
            self.workers[self.workers.index(worker)] = fresh
        why = (f"did not answer within {self.timeout:g} s (SAGEMAKER_MODEL_SERVER_TIMEOUT)" if timed_out
               else "died during the request")
        log.error("worker %d: pid %d %s: killed and replaced by pid %d, which reloads the models (model_fn); "
                  "the next request on it waits for that", worker.slot, worker.proc.pid, why, fresh.proc.pid)
        return 500, "Internal Server Error", "application/json", WORKER_DIED
