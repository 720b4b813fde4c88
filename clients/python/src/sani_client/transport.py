"""HTTP to the sani service: JSON calls and downloads through ``requests``, uploads through ``http.client``.

Uploads send ``Expect: 100-continue`` and wait for the server's ``100 Continue`` before the body, as curl does:
a server (or a proxy in front of it) that refuses the request from its headers alone answers without a single
byte of the model crossing the network, and an answer that comes in the middle of the body (413 as the size
limit is crossed) is still read. ``requests`` (urllib3) cannot wait for an interim answer, hence ``http.client`` here,
with the same URL, key, timeout and TLS settings.
"""

from __future__ import annotations

import http.client
import io
import json
import select
import socket
import ssl
from typing import Any, Dict, Iterator, Mapping, Optional, Protocol
from urllib.parse import urlencode, urlsplit

import requests

from . import __version__
from .errors import SaniConnectionError, SaniError, api_error

_UPLOAD_CHUNK = 1 << 20


class Readable(Protocol):
    """What an upload reads its body from: a file opened in binary mode, or a FolderTar."""

    def read(self, size: int = -1, /) -> Optional[bytes]: ...
_MAX_INTERIM_HEAD = 64 * 1024


class Transport:
    """One server: its base URL, API key, time limit of a call and TLS verification."""

    def __init__(self, url: str, token: Optional[str], timeout: float, verify: bool | str = True,
                 continue_timeout: float = 2.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SaniError(f"the server URL must be http(s)://host[:port], got {url!r}")
        self.base = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.verify = verify
        self.continue_timeout = continue_timeout
        #: Uploads whose body went after the server's "100 Continue" (the others waited continue_timeout).
        self.interim_continues = 0
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"sani-client-python/{__version__}"
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.verify = verify

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    # JSON calls and downloads.

    def request(self, method: str, path: str, params: Optional[Mapping[str, Any]] = None,
                json_body: Any = None, headers: Optional[Mapping[str, str]] = None,
                stream: bool = False) -> requests.Response:
        """Sends a request; returns the response when its status is 2xx or 304, raises the typed error otherwise."""
        try:
            response = self.session.request(method, self.url(path), params=params, json=json_body,
                                            headers=dict(headers or {}), stream=stream, timeout=self.timeout)
        except requests.RequestException as error:
            raise SaniConnectionError(f"{method} {self.url(path)}: {error}") from error
        if response.status_code >= 400:
            body = response.content
            response.close()
            raise api_error(response.status_code, body, response.reason or "")
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise SaniError(f"{method} {path}: the server answered {response.status_code} with a body that is not "
                            f"JSON: {response.text[:200]!r}") from error

    # Uploads.

    def upload(self, path: str, params: Mapping[str, str], body: Readable, length: int,
               content_type: str = "application/octet-stream") -> Dict[str, Any]:
        """Streams ``length`` bytes of ``body`` as the request body; returns the JSON answer."""
        parts = urlsplit(self.url(path))
        target = parts.path + ("?" + urlencode(params) if params else "")
        connection = self._connection(parts.scheme, parts.hostname or "", parts.port)
        try:
            connection.putrequest("POST", target, skip_accept_encoding=True)
            connection.putheader("Content-Type", content_type)
            connection.putheader("Content-Length", str(length))
            connection.putheader("Expect", "100-continue")
            connection.putheader("Accept", "application/json")
            connection.putheader("User-Agent", self.session.headers["User-Agent"])
            if self.token:
                connection.putheader("Authorization", f"Bearer {self.token}")
            connection.endheaders()
            sock = connection.sock
            early = self._interim_answer(sock)
            if early is not None:
                # The server answered before the body: read that answer and never send the body.
                response = http.client.HTTPResponse(_Replay(early, sock), method="POST")  # type: ignore[arg-type]
                response.begin()
            else:
                try:
                    self._send_body(connection, body, length)
                except OSError:
                    # The server may have answered and closed (413 when the limit is crossed): read its answer.
                    pass
                response = connection.getresponse()
            data = response.read()
            status, reason = response.status, response.reason
        except (OSError, http.client.HTTPException) as error:
            raise SaniConnectionError(f"upload to {self.url(path)}: {error}") from error
        finally:
            connection.close()
        if status >= 400:
            raise api_error(status, data, reason)
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError as error:
            raise SaniError(f"upload: the server answered {status} with a body that is not JSON: {data[:200]!r}") \
                from error

    def _connection(self, scheme: str, host: str, port: Optional[int]) -> http.client.HTTPConnection:
        if scheme == "https":
            context = ssl.create_default_context(cafile=self.verify if isinstance(self.verify, str) else None)
            if self.verify is False:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _interim_answer(self, sock: socket.socket) -> Optional[bytes]:
        """Waits for the server's first answer to the headers.

        Returns None when the body should be sent: ``100 Continue`` came (and was consumed) or nothing came in
        time (a server that ignores Expect). Returns the bytes read so far of a final answer otherwise.
        """
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if not pending:
            readable, _, _ = select.select([sock], [], [], self.continue_timeout)
            if not readable:
                return None
        head = self._read_head(sock)
        status_line = head.split(b"\r\n", 1)[0]
        fields = status_line.split(None, 2)
        if len(fields) >= 2 and fields[0].startswith(b"HTTP/") and fields[1] == b"100":
            self.interim_continues += 1
            return None
        return head

    @staticmethod
    def _read_head(sock: socket.socket) -> bytes:
        """Reads the status line and header fields of one answer, byte by byte so nothing after it is taken."""
        head = bytearray()
        while not head.endswith(b"\r\n\r\n"):
            byte = sock.recv(1)
            if not byte:
                break  # closed: what was read goes to the response parser, which reports it
            head += byte
            if len(head) > _MAX_INTERIM_HEAD:
                raise http.client.HTTPException("the server's answer headers are too long")
        return bytes(head)

    @staticmethod
    def _send_body(connection: http.client.HTTPConnection, body: Readable, length: int) -> None:
        sent = 0
        while sent < length:
            chunk = body.read(min(_UPLOAD_CHUNK, length - sent))
            if not chunk:
                raise SaniError(f"the upload ended after {sent} of {length} bytes")
            connection.send(chunk)
            sent += len(chunk)

    def stream(self, path: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Streams a download's bytes as they arrive (the caller writes and hashes them)."""
        response = self.request("GET", path, stream=True, headers={"Accept": "application/octet-stream"})
        try:
            for chunk in response.iter_content(chunk_size):
                yield chunk
        except requests.RequestException as error:
            raise SaniConnectionError(f"download of {self.url(path)}: {error}") from error
        finally:
            response.close()


class _Replay:
    """A socket stand-in whose stream starts with bytes already read from the socket, then the socket's."""

    def __init__(self, prefix: bytes, sock: socket.socket) -> None:
        self.prefix = prefix
        self.sock = sock

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_ReplayRaw(self.prefix, self.sock))


class _ReplayRaw(io.RawIOBase):
    def __init__(self, prefix: bytes, sock: socket.socket) -> None:
        super().__init__()
        self.prefix = prefix
        self.sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self.prefix:
            n = min(len(view), len(self.prefix))
            view[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        return self.sock.recv_into(view)

