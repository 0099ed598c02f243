"""Real servers on loopback for probe tests: HTTP(S), TCP that refuses / hangs / is slow, TLS CA.

All run on the test's own event loop (port 0), so tests synchronise on real I/O, never sleeps.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class HttpBehaviour:
    status: int = 200
    body: bytes = b"ok\n"
    chunked: bool = False
    no_length: bool = False  # body delimited by close
    delay: float = 0.0  # before answering
    hang: bool = False  # accept, read, never answer
    garbage: bool = False  # not HTTP at all
    close_early: bool = False  # close after reading the request, no response
    requests: List[bytes] = field(default_factory=list)


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


class Running:
    """A started server; `async with` closes it and every connection it still holds.

    (asyncio.Server.wait_closed waits for open connections since 3.12, and a hanging handler
    never closes its own.)
    """

    def __init__(self) -> None:
        self.server: Optional[asyncio.Server] = None
        self.tasks: set = set()

    def track(self, handler):
        async def wrapped(reader, writer):
            task = asyncio.current_task()
            self.tasks.add(task)
            try:
                await handler(reader, writer)
            except asyncio.CancelledError:
                writer.close()
            finally:
                self.tasks.discard(task)

        return wrapped

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await self.server.wait_closed()


async def _serve(handler, host: str, ssl_ctx=None) -> Tuple[Running, int]:
    running = Running()
    running.server = await asyncio.start_server(running.track(handler), host, 0, ssl=ssl_ctx)
    return running, running.server.sockets[0].getsockname()[1]


async def start_http(behaviour: HttpBehaviour, host: str = "127.0.0.1", ssl_ctx=None) -> Tuple[Running, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            behaviour.requests.append(request)
            if behaviour.hang:
                await asyncio.Event().wait()
            if behaviour.delay:
                await asyncio.sleep(behaviour.delay)
            if behaviour.close_early:
                return
            if behaviour.garbage:
                writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
                await writer.drain()
                return
            head = f"HTTP/1.1 {behaviour.status} X\r\nServer: test\r\n"
            body = behaviour.body
            if behaviour.chunked:
                head += "Transfer-Encoding: chunked\r\n\r\n"
                payload = b"".join(
                    b"%x\r\n%s\r\n" % (len(body[i : i + 1000]), body[i : i + 1000]) for i in range(0, len(body), 1000)
                )
                writer.write(head.encode() + payload + b"0\r\n\r\n")
            elif behaviour.no_length:
                writer.write(head.encode() + b"Connection: close\r\n\r\n" + body)
            else:
                writer.write(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    return await _serve(handle, host, ssl_ctx)


async def start_tcp(mode: str, host: str = "127.0.0.1", banner: bytes = b"", delay: float = 0.0):
    """mode: 'hang' (accept, never answer), 'banner' (send banner after delay), 'echo'."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if mode == "hang":
                await reader.read()  # until the client gives up
            elif mode == "banner":
                if delay:
                    await asyncio.sleep(delay)
                writer.write(banner)
                await writer.drain()
            elif mode == "echo":
                data = await reader.read(100)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    return await _serve(handle, host)


def refused_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on: bind, read the port, close (the kernel then refuses)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class Pki:
    ca_file: Path
    server_ctx: ssl.SSLContext


def make_pki(
    directory: Path, names: Optional[List[str]] = None, ips: Optional[List[str]] = None, expired: bool = False
) -> Pki:
    """A CA and a server certificate for the given DNS names / IPs, written under directory."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "maglevd test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alt = [x509.DNSName(n) for n in (names or ["backend.test"])] + [
        x509.IPAddress(ipaddress.ip_address(i)) for i in (ips or [])
    ]
    start, end = (
        (now - datetime.timedelta(days=10), now - datetime.timedelta(days=1))
        if expired
        else (
            now - datetime.timedelta(days=1),
            now + datetime.timedelta(days=30),
        )
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (names or ["backend.test"])[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file = directory / "server.pem"
    key_file = directory / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_file, key_file)
    return Pki(ca_file, ctx)
