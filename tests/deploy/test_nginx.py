"""deploy/nginx.conf, as shipped, in front of `dedz`: caching, gzip, limits, slow clients.

nginx is Debian's (`apt-get install nginx`; .ci/run installs it). Only the ports, the paths and
the header timeout (shortened, so the slowloris test is quick) differ from the shipped file.
"""

from __future__ import annotations

import gzip
import http.client
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.clients import dribble
from tests.live_server import DEDZ, HOST, ROOT, free_port, serve

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOSTNAME = "dedz.test"
SHIPPED = ROOT / "deploy" / "nginx.conf"


def render(upstream: int, listen: int, cache: Path) -> str:
    """Return the shipped site config with this test's ports and paths."""
    text = SHIPPED.read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server {HOST}:{upstream};"),
        ("listen 80;", f"listen {HOST}:{listen};"),
        ("server_name dedz.example.edu;", f"server_name {HOSTNAME};"),
        ("/var/cache/nginx/dedz", str(cache)),
        ("client_header_timeout 10s;", "client_header_timeout 2s;"),
    ]:
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    assert Path(NGINX).exists(), "nginx is missing: apt-get install nginx (.ci/run does)"
    tmp = tmp_path_factory.mktemp("nginx")
    env = {"DEDZ_PUBLIC_URL": f"http://{HOSTNAME}", "DEDZ_MAX_BODY_BYTES": "8388608"}
    with serve(env=env, command=[DEDZ]) as server:
        listen = free_port()
        (tmp / "dedz.conf").write_text(render(server.port, listen, tmp / "cache"))
        (tmp / "nginx.conf").write_text(
            f"""
            daemon off;
            pid {tmp}/nginx.pid;
            error_log {tmp}/error.log warn;
            worker_processes 1;
            events {{ worker_connections 256; }}
            http {{
                access_log off;
                client_body_temp_path {tmp}/body;
                proxy_temp_path {tmp}/proxy;
                include {tmp}/dedz.conf;
            }}
            """
        )
        if os.geteuid() == 0:  # workers would run as nobody, who cannot enter pytest's tmp
            (tmp / "nginx.conf").write_text("user root;\n" + (tmp / "nginx.conf").read_text())
        process = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                assert process.poll() is None, (tmp / "error.log").read_text()
                try:
                    socket.create_connection((HOST, listen), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield listen
        finally:
            process.terminate()
            process.wait(timeout=10)


def get(
    port: int, path: str, host: str = HOSTNAME, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", path, headers={"Host": host, **headers})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_get_gradient_is_cached_by_the_proxy(proxy: int) -> None:
    path = "/gradient?logits=2,1,0.25&target=0"
    first = get(proxy, path)
    second = get(proxy, path)
    assert first[0] == second[0] == 200
    assert first[1]["x-cache-status"] == "MISS"
    assert second[1]["x-cache-status"] == "HIT"
    assert first[2] == second[2]


def test_pages_are_cached_per_host_and_per_fragment(proxy: int) -> None:
    path = "/?logits=3,1&target=0"
    assert get(proxy, path)[1]["x-cache-status"] == "MISS"
    page = get(proxy, path)
    assert page[1]["x-cache-status"] == "HIT"
    fragment = get(proxy, path, **{"HX-Request": "true", "HX-Target": "panels"})
    assert fragment[1]["x-cache-status"] == "MISS"  # not the page's cached copy
    assert b"<!doctype html>" not in fragment[2]


def test_a_foreign_host_is_refused_and_poisons_nothing(proxy: int) -> None:
    path = "/?logits=4,1&target=0"
    attack = get(proxy, path, host="attacker.example")
    assert attack[0] == 400
    page = get(proxy, path)
    assert page[0] == 200
    assert b"attacker.example" not in page[2]
    assert f"http://{HOSTNAME}/static/embed.js".encode() in page[2]


def test_json_is_gzipped(proxy: int) -> None:
    path = "/gradient?" + "logits=" + ",".join(str(i % 9) for i in range(50)) + "&target=3"
    status, headers, body = get(proxy, path, **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body).startswith(b'{"probs":')


def test_an_oversized_body_is_refused_by_the_proxy(proxy: int) -> None:
    connection = http.client.HTTPConnection(HOST, proxy, timeout=30)
    connection.request(
        "POST",
        "/gradient",
        body=b"[" + b"0," * 5_000_000 + b"0]",
        headers={"Host": HOSTNAME, "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 413
    assert response.getheader("server", "").startswith("nginx")


def test_a_slowloris_head_is_cut_by_the_proxy(proxy: int) -> None:
    with socket.create_connection((HOST, proxy), timeout=10) as slow:
        took = dribble(slow, b"GET / HTTP/1.1\r\nHost: dedz.test\r\n", b"X-a: b\r\n", 0.3, 6)
    assert took < 4.5, "nginx kept a dribbling head open for 6 s"


def test_post_is_never_cached(proxy: int) -> None:
    for _ in range(2):
        connection = http.client.HTTPConnection(HOST, proxy, timeout=30)
        connection.request(
            "POST",
            "/gradient",
            body=b'{"logits":[2,1],"target":0}',
            headers={"Host": HOSTNAME, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.status == 200
        assert response.getheader("x-cache-status") != "HIT"


def test_one_client_cannot_hold_every_connection(proxy: int) -> None:
    held = [socket.create_connection((HOST, proxy), timeout=5) for _ in range(32)]
    try:
        for sock in held:  # each holds a request in flight: nginx counts active requests
            sock.sendall(
                b"POST /gradient HTTP/1.1\r\nHost: dedz.test\r\nContent-Length: 10\r\n\r\n"
            )
        time.sleep(0.3)
        assert get(proxy, "/healthz")[0] == 429
    finally:
        for sock in held:
            sock.close()
