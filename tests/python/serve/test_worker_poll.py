"""A worker's polling between back-to-back requests (local/server/serve_worker.py): the window rule, the poll
itself on a real pipe, and the serving loop deciding when to poll."""
import os
import threading
import time

from serve_fixtures import ROOT  # noqa: F401 (puts local/server on sys.path)
import serve_worker
from serve_worker import await_request, next_window, poll_limit, read_frame, serve, write_frame


def test_the_window_is_the_whole_limit_while_requests_come_within_it_and_none_after_a_longer_gap():
    assert next_window(0.01, 0.004) == 0.01
    assert next_window(0.01, 0.01) == 0.01
    assert next_window(0.01, 0.0101) == 0.0
    assert next_window(0.0, 0.0) == 0.0


def test_the_limit_is_read_in_ms_and_is_off_when_unset():
    assert poll_limit({"LOCAL_SERVE_POLL_MS": "10"}) == 0.01
    assert poll_limit({"LOCAL_SERVE_POLL_MS": " "}) == 0.0
    assert poll_limit({}) == 0.0


def test_polling_returns_at_once_when_a_request_waits_and_after_the_window_when_none_comes():
    r, w = os.pipe()
    try:
        started = time.monotonic()
        assert await_request(r, 0.0) is False
        assert await_request(r, 0.05) is False
        assert 0.05 <= time.monotonic() - started < 1.0
        os.write(w, b"x")
        started = time.monotonic()
        assert await_request(r, 5.0) is True
        assert time.monotonic() - started < 1.0
    finally:
        os.close(r)
        os.close(w)


class EchoHandler:
    def invoke(self, body, headers):
        return 200, None, "application/json", body


def test_the_loop_polls_after_back_to_back_requests_and_sleeps_after_an_idle_gap(monkeypatch):
    windows = []
    monkeypatch.setattr(serve_worker, "await_request", lambda fd, window: windows.append(window) or await_request(fd, window))
    req_r, req_w = os.pipe()
    ans_r, ans_w = os.pipe()
    loop = threading.Thread(target=serve, args=(EchoHandler(), req_r, ans_w, 0.1), daemon=True)
    loop.start()

    def ask(body):
        write_frame(req_w, {"headers": {}}, body)
        header, answer = read_frame(ans_r)
        assert (header["status"], answer) == (200, body)

    ask(b"1")
    ask(b"2")  # back to back: the window opens
    time.sleep(0.4)  # idle longer than the limit: the worker polled once, then slept
    ask(b"3")  # after the gap: no polling before the next request
    ask(b"4")  # back to back again: the window opens again
    os.close(req_w)
    loop.join(5)
    assert not loop.is_alive(), "the loop ends when its input closes"
    assert windows == [0.1, 0.1], windows
    for fd in (req_r, ans_r, ans_w):
        os.close(fd)
