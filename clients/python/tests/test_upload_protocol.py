"""Expect: 100-continue on uploads, against a scripted loopback peer: the body goes after "100 Continue", never
after an early refusal, and anyway after a peer that ignores Expect; an early answer mid-body is still read."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Optional

import pytest

from sani_client import Client, PayloadTooLargeError, AuthenticationError


class ScriptedPeer:
    """Accepts one connection, reads the request head, then plays ``mode``; records the body bytes it got."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(20)
        self.port = self.listener.getsockname()[1]
        self.head = b""
        self.body = b""
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_body(self, conn: socket.socket, length: int, limit: Optional[int] = None) -> None:
        while len(self.body) < length and (limit is None or len(self.body) <= limit):
            chunk = conn.recv(65536)
            if not chunk:
                break
            self.body += chunk

    @staticmethod
    def _answer(conn: socket.socket, status: str, payload: dict) -> None:
        body = json.dumps(payload).encode()
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n\r\n".encode() + body)

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
            with conn:
                conn.settimeout(20)
                while b"\r\n\r\n" not in self.head:
                    chunk = conn.recv(1)
                    if not chunk:
                        return
                    self.head += chunk
                length = int(self.header("content-length") or 0)
                created = {"id": "file_x", "name": "n", "kind": "file", "source": "upload", "size": length,
                           "sha256": "0" * 64, "createdAt": "2026-01-01T00:00:00Z"}
                if self.mode == "continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self._read_body(conn, length)
                    self._answer(conn, "201 Created", created)
                elif self.mode == "refuse":
                    self._answer(conn, "401 Unauthorized", {"error": {"code": "unauthorized", "message": "bad key"}})
                    conn.settimeout(1.5)
                    try:
                        self._read_body(conn, length)
                    except socket.timeout:
                        pass
                elif self.mode == "ignore-expect":
                    self._read_body(conn, length)
                    self._answer(conn, "201 Created", created)
                elif self.mode == "too-large":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self._read_body(conn, length, limit=100_000)
                    self._answer(conn, "413 Content Too Large", {"error": {"code": "too_large", "message": "over 100 kB"}})
                    conn.shutdown(socket.SHUT_WR)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error
        finally:
            self.listener.close()

    def header(self, name: str) -> Optional[str]:
        for line in self.head.decode("latin-1").split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name:
                return value.strip()
        return None

    def join(self) -> None:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        if self.error:
            raise self.error


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "notes.jsonl"
    path.write_bytes(b'{"text": "note"}\n' * 20_000)  # 340 kB
    return path


def test_body_goes_after_100_continue(payload: Path) -> None:
    peer = ScriptedPeer("continue")
    with Client(f"http://127.0.0.1:{peer.port}", token="k") as client:
        stored = client.upload(payload)
        assert client._transport.interim_continues == 1
    peer.join()
    assert stored.id == "file_x"
    assert peer.header("expect") == "100-continue" and peer.header("authorization") == "Bearer k"
    assert peer.header("content-length") == str(payload.stat().st_size)
    assert peer.head.startswith(b"POST /v1/files?name=notes.jsonl HTTP/1.1")
    assert peer.body == payload.read_bytes()


def test_an_early_refusal_gets_no_body(payload: Path) -> None:
    peer = ScriptedPeer("refuse")
    with Client(f"http://127.0.0.1:{peer.port}", token="wrong") as client:
        with pytest.raises(AuthenticationError) as caught:
            client.upload(payload)
    peer.join()
    assert caught.value.message == "bad key"
    assert peer.body == b"", "not one byte of the body was sent"


def test_a_peer_that_ignores_expect_still_gets_the_body(payload: Path) -> None:
    peer = ScriptedPeer("ignore-expect")
    with Client(f"http://127.0.0.1:{peer.port}") as client:
        client._transport.continue_timeout = 0.3
        client.upload(payload)
        assert client._transport.interim_continues == 0
    peer.join()
    assert peer.body == payload.read_bytes()


def test_an_answer_in_the_middle_of_the_body_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (8 << 20))
    peer = ScriptedPeer("too-large")
    with Client(f"http://127.0.0.1:{peer.port}") as client:
        with pytest.raises(PayloadTooLargeError) as caught:
            client.upload(big)
    peer.join()
    assert caught.value.status == 413 and caught.value.code == "too_large"
    assert len(peer.body) < big.stat().st_size
