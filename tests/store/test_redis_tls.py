"""`rediss://`: the Redis store over TLS, against a real redis-server with a certificate of its
own (made here with openssl), the CA given in the URL as redis-py reads it."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tagfake.state.engines import open_engine
from tagfake.state.store import StoreUnavailable
from tests.redis_server import free_port
from tests.store.conftest import LAYOUT, VENDOR


def make_certificates(folder: Path) -> None:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is missing: `make tools` installs it"

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA",
        "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName = IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-extfile", "san.ext", "-out", "server.crt")  # fmt: skip


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    folder = tmp_path_factory.mktemp("redis-tls")
    make_certificates(folder)
    port = free_port()
    binary = shutil.which("redis-server")
    assert binary
    proc = subprocess.Popen(
        [binary, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", str(folder / "server.crt"),
         "--tls-key-file", str(folder / "server.key"),
         "--tls-ca-cert-file", str(folder / "ca.crt"), "--tls-auth-clients", "no",
         "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=str(folder / "ca.crt"))
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            assert proc.poll() is None and time.monotonic() < deadline, "no TLS redis-server"
            time.sleep(0.05)
    client.close()
    try:
        yield port, folder
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_store_works_over_tls(tls_redis: tuple[int, Path]) -> None:
    port, folder = tls_redis
    engine = open_engine(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={folder / 'ca.crt'}")
    try:
        engine.store.declare(VENDOR, LAYOUT)
        with engine.store.transaction(VENDOR, "acme") as w:
            w.put_tag("a", {"name": "Over TLS"})
        with engine.store.read(VENDOR, "acme") as r:
            assert r.tag_by("name", "over tls") == "a"
        assert engine.ping()
    finally:
        engine.close()


def test_a_server_certificate_not_trusted_is_refused(tls_redis: tuple[int, Path]) -> None:
    port, _ = tls_redis
    with pytest.raises(StoreUnavailable, match="certificate verify failed"):
        open_engine(f"rediss://127.0.0.1:{port}/0", options={"timeout": 2})
