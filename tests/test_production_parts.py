"""The production parts: Redis (cache, channel layer, readiness) and the app served the way the
README's production set-up describes (DEBUG off, secrets from the environment, several workers)."""

from __future__ import annotations

import http.client
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from tests.conftest import worker_tag
from tests.test_settings_and_headers import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


needs_redis = pytest.mark.skipif(
    not redis_available() and os.environ.get("ALONGSIDE_REQUIRE_REDIS") != "1",
    reason="Redis is not running on 127.0.0.1:6379 (CI starts it and sets ALONGSIDE_REQUIRE_REDIS=1)",
)


@needs_redis
def test_redis_cache_and_channel_layer_round_trip(settings: Any) -> None:
    from channels.layers import channel_layers
    from django.core.cache import caches

    # Redis database 15 is shared by every test process on the machine (xdist workers, other runs):
    # this process's keys and channels carry its own prefix.
    prefix = f"alongside-test-{worker_tag()}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": prefix},
        }
    }
    caches._settings = None  # type: ignore[attr-defined]  # re-read CACHES
    cache = caches.create_connection("default")
    cache.set("alongside-test", "hello", 10)
    assert cache.get("alongside-test") == "hello"
    cache.delete("alongside-test")

    channel_layers.backends.clear()
    layer = channel_layers["default"]
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "test.message", "text": "hi"})
    assert async_to_sync(layer.receive)(channel) == {"type": "test.message", "text": "hi"}
    async_to_sync(layer.flush)()  # deletes this process's keys only (its prefix), none of another's
    channel_layers.backends.clear()


@needs_redis
@pytest.mark.django_db
def test_readyz_checks_redis_when_configured(client: Any, settings: Any) -> None:
    settings.REDIS_URL = REDIS_URL
    assert client.get("/readyz").json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """One GET on loopback, redirects not followed."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        connection.request("GET", parts.path or "/", headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[str]:
    """Two uvicorn workers with DEBUG off, behind a (simulated) TLS-terminating proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALONGSIDE_", "DJANGO_"))}
    env.update(PRODUCTION_ENV)
    env.update(
        {
            "ALONGSIDE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "ALLOWED_HOSTS": "peers.example.org,127.0.0.1",
            "ALONGSIDE_PROXY_COUNT": "1",
        }
    )
    if redis_available():
        env["REDIS_URL"] = REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    cli = [sys.executable, "-m", "alongside.cli"]
    for args in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run([*cli, *args], cwd=ROOT, env=env, check=True, timeout=180)  # noqa: S603
    server, base = _start_uvicorn(env)
    try:
        for _ in range(100):
            try:
                if _get(base + "/healthz", {})[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("the production server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def _start_uvicorn(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Two uvicorn workers on a port that was free a moment ago. Another process (another xdist
    worker's live server, another run) may bind it first: uvicorn then exits with "address already in
    use" and is started again on another port. Its "running on" line says that it holds the port."""
    for _attempt in range(5):
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "uvicorn", "alongside.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
            + ["--workers", "2", "--lifespan", "off", "--no-server-header", "--proxy-headers"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        # Read stderr in a thread until uvicorn exits, so it can never fill the pipe and block.
        threading.Thread(target=_drain, args=(server.stderr, lines), daemon=True).start()
        seen: list[str] = []
        try:
            while (line := lines.get(timeout=60)) is not None:
                seen.append(line)
                if "Uvicorn running on" in line:
                    return server, f"http://127.0.0.1:{port}"
        except queue.Empty:
            server.kill()
            raise AssertionError("the production server said nothing for 60 s:\n" + "".join(seen)) from None
        server.wait(timeout=20)
        if "address already in use" not in "".join(seen).lower():
            raise AssertionError("the production server did not start:\n" + "".join(seen))
    raise AssertionError("the production server found no free port in 5 tries")


def _drain(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def test_production_configuration_serves_securely(production_server: str) -> None:
    proxy = {"Host": "peers.example.org", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    status, _headers, body = _get(production_server + "/readyz", proxy)
    assert status == 200 and b'"database": "ok"' in body
    # Plain HTTP (no proxy header) is redirected to HTTPS, except the health probes.
    status, headers, _ = _get(production_server + "/", {"Host": "peers.example.org"})
    assert status == 301 and headers["Location"].startswith("https://peers.example.org/")
    assert _get(production_server + "/healthz", {"Host": "peers.example.org"})[0] == 200
    status, headers, body = _get(production_server + "/accounts/login/", proxy)
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "__Host-alongside-csrf" in headers.get("Set-Cookie", "") and "Secure" in headers["Set-Cookie"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    # Static files are served by the app itself, hashed and compressed (no CDN).
    css = [part for part in body.decode().split('"') if part.startswith("/static/") and part.endswith(".css")]
    assert css and css[0] != "/static/alongside/css/app.css"
    status, headers, _ = _get(production_server + css[0], proxy)
    assert status == 200 and "max-age" in headers.get("Cache-Control", "")
    # A host that is not allowed gets nothing.
    assert _get(production_server + "/", {"Host": "evil.example", "X-Forwarded-Proto": "https"})[0] == 400
