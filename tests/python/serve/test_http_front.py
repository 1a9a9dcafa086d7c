"""The model server's HTTP side (local/server/http_front.py) over real sockets, in front of a real ModelServer
with the fixture handler: keep-alive, one answer per send, and the bodies it refuses before reading them."""
import http.client
import socket
import threading

import pytest

from serve_fixtures import make_model_dir, model_server

import http_front


@pytest.fixture()
def server(tmp_path):
    with model_server(make_model_dir(tmp_path)) as app:
        app.load()
        front = http_front.ModelHTTPServer(app, "127.0.0.1", 0)
        thread = threading.Thread(target=front.serve_forever, daemon=True)
        thread.start()
        try:
            yield front
        finally:
            front.shutdown()
            front.server_close()


def raw_exchange(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_two_invocations_share_one_keep_alive_connection_and_get_the_handlers_answers(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
    answers = []
    for text in ("first", "second"):
        conn.request("POST", "/invocations", body=f'{{"text": "{text}"}}', headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        answers.append((res.status, res.getheader("Content-Type"), res.getheader("Keep-Alive"), res.read()))
    local_ports = {conn.sock.getsockname()[1]}
    conn.close()
    assert [a[0] for a in answers] == [200, 200]
    assert all(a[2] == f"timeout={http_front.IDLE_SECONDS}" for a in answers)
    assert b"first" in answers[0][3] and b"second" in answers[1][3]
    assert len(local_ports) == 1


def test_ping_answers_healthy_and_head_gets_the_headers_without_a_body(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
    conn.request("GET", "/ping")
    res = conn.getresponse()
    assert (res.status, res.read()) == (200, b'{"status": "Healthy"}')
    conn.request("HEAD", "/ping")
    res = conn.getresponse()
    assert res.status == 200 and res.getheader("Content-Length") == "21" and res.read() == b""
    conn.close()


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read_and_the_connection_closes(server):
    answer = raw_exchange(server.effective_port, (
        f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {http_front.MAX_BODY_BYTES + 1}\r\n\r\n").encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in head
    assert b'"PayloadTooLarge"' in body


def test_a_chunked_body_is_refused_with_411_naming_content_length(server):
    answer = raw_exchange(server.effective_port, (
        "POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").encode())
    assert answer.startswith(b"HTTP/1.1 411 ")
    assert b"Content-Length" in answer.partition(b"\r\n\r\n")[2]


def test_a_non_numeric_content_length_is_a_400(server):
    answer = raw_exchange(server.effective_port, b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_an_answer_without_a_content_type_has_no_content_type_header():
    data = http_front.answer_bytes(500, "boom\r\nInjected: 1", None, b"trace")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 500 boom  Injected: 1"
    assert b"Content-Type" not in head and b"Content-Length: 5" in head and body == b"trace"


def test_a_status_without_a_reason_gets_its_standard_phrase():
    assert http_front.answer_bytes(503, None, "application/json", b"{}").startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
