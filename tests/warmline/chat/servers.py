"""Real chat servers for the fault tests and ``benchmarks/chat.py``: uvicorn processes sharing one
PostgreSQL database and one Redis channel layer, a private ``redis-server`` that can be stopped and
started again, and a WebSocket client that speaks the chat protocol as ``static/alongside/js/chat.js``
does: an outbox of unacknowledged client ids resent on every (re)connect, ``sync`` after the last
seq it holds without a gap (and when a gap lasts a second), messages kept by seq so a repeat is
counted and dropped.

No Django import at module level: the benchmark drives servers and clients from a process that
never configures Django. uvicorn needs a WebSocket library (``websockets``, in the test extras);
without one it refuses every upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

GAP_WAIT = 1.0  # seconds a gap in the seqs may last before the client syncs
REPO = Path(__file__).resolve().parents[3]
PYTHON = REPO / ".venv" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, what: str, step: float = 0.05) -> None:
    """Poll ``check`` until it is true; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _kill(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 5) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


class PrivateRedis:
    """A ``redis-server`` of our own on a free port (never the machine's shared one): no disk."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.2).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, 10, f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Stopped hard (SIGKILL), as a crash would: its groups and queues are gone."""
        _kill(self.process, signal.SIGKILL)
        self.process = None


def server_env(
    *,
    database_url: str,
    redis_url: str,
    secret_key: str,
    encryption_keys: str,
    var_dir: str,
    debug: bool = True,
) -> dict[str, str]:
    """The environment of a server process. With ``debug`` False it is production mode on loopback
    (plain HTTP allowed for the probes, which the settings exempt from the HTTPS redirect)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALONGSIDE_", "DJANGO_"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": secret_key,
            "ALONGSIDE_ENCRYPTION_KEYS": encryption_keys,
            "ALONGSIDE_VAR_DIR": var_dir,
            "DJANGO_SETTINGS_MODULE": "alongside.settings",
            "DEBUG": "1" if debug else "0",
            "PYTHONPATH": str(REPO),
        }
    )
    if not debug:
        env.update(
            {
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SITE_URL": "https://localhost",
                "DEFAULT_FROM_EMAIL": "Alongside <no-reply@localhost>",
                "EMAIL_HOST": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0",
            }
        )
    return env


class Server:
    """One ``uvicorn alongside.asgi:application`` process; its output goes to a log file."""

    def __init__(self, env: dict[str, str], port: int | None = None, log_dir: str | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.log_path = Path(log_dir or tempfile.gettempdir()) / f"chat-server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"server on port {self.port} exited; see {self.log_path}")
        try:
            with urllib.request.urlopen(f"{self.origin}/healthz", timeout=0.5) as response:  # noqa: S310 (http on loopback)
                return bool(response.status == 200)
        except OSError:
            return False

    def start(self, timeout: float = 30) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(PYTHON), "-m", "uvicorn", "alongside.asgi:application", "--host", "127.0.0.1"]
                + ["--port", str(self.port), "--no-access-log", "--ws", "websockets"],
                env=self.env,
                cwd=str(REPO),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.healthy, timeout, f"/healthz of the server on port {self.port}")

    def kill(self) -> None:
        """kill -9: no shutdown, open sockets simply drop."""
        _kill(self.process, signal.SIGKILL)

    def stop(self) -> None:
        _kill(self.process, signal.SIGTERM)

    def memory_mb(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) of the process in MB, from /proc."""
        values = {"VmRSS": 0.0, "VmHWM": 0.0}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                key, _sep, rest = line.partition(":")
                if key in values:
                    values[key] = int(rest.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"]


@contextlib.contextmanager
def running(servers: list[Server], redis: PrivateRedis | None = None) -> Iterator[list[Server]]:
    """Start them (Redis first) and always stop them, whatever happens in between."""
    try:
        if redis is not None:
            redis.start()
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.kill()
        if redis is not None:
            redis.stop()


# --- The client ------------------------------------------------------------------------------------


@dataclass
class Received:
    seq: int
    client_id: str
    sender: str
    at: float


@dataclass
class ChatClient:
    """One side of a conversation, as the browser script behaves.

    ``urls`` are the WebSocket addresses to try, in turn, whenever the socket drops (the first is
    the usual one; a load balancer would move the person to another server). ``headers`` carry the
    cookie and the Origin. Timings are ``time.monotonic()`` on the sending and receiving side, which
    are the same process."""

    urls: list[str]
    headers: dict[str, str]
    session: aiohttp.ClientSession
    name: str = ""
    outbox: dict[str, str] = field(default_factory=dict)
    sent_at: dict[str, float] = field(default_factory=dict)
    acked: dict[str, int] = field(default_factory=dict)
    ack_at: dict[str, float] = field(default_factory=dict)
    messages: dict[int, Received] = field(default_factory=dict)
    repeats: int = 0
    errors: list[Any] = field(default_factory=list)
    connects: int = 0
    last_seq: int = 0
    ws: aiohttp.ClientWebSocketResponse | None = None
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    _closing: bool = False
    _task: asyncio.Task[None] | None = None
    _url_index: int = 0
    on_message: Callable[[Received], None] | None = None
    gap_syncs: int = 0
    _gap_check: asyncio.TimerHandle | None = None
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        self._closing = True
        if self.ws is not None:
            await self.ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed and self.synced.is_set()

    async def send(self, client_id: str, body: str) -> None:
        """Put it in the outbox (kept until acknowledged) and send it now if the socket is up."""
        self.outbox[client_id] = body
        self.sent_at.setdefault(client_id, time.monotonic())
        await self._deliver(client_id, body)

    async def _deliver(self, client_id: str, body: str) -> None:
        ws = self.ws
        if ws is None or ws.closed:
            return
        with contextlib.suppress(Exception):  # the socket dropped: it stays in the outbox
            await ws.send_json({"type": "send", "client_id": client_id, "body": body})

    async def sync(self) -> None:
        if self.ws is not None and not self.ws.closed:
            with contextlib.suppress(Exception):
                await self.ws.send_json({"type": "sync", "after": self.last_seq})

    async def _run(self) -> None:
        delay = 0.05
        while not self._closing:
            url = self.urls[self._url_index % len(self.urls)]
            try:
                async with self.session.ws_connect(url, headers=self.headers, heartbeat=None) as ws:
                    self.ws = ws
                    self.connects += 1
                    delay = 0.05
                    await ws.send_json({"type": "sync", "after": self.last_seq})
                    for client_id, body in list(self.outbox.items()):
                        await self._deliver(client_id, body)
                    async for frame in ws:
                        if frame.type == aiohttp.WSMsgType.TEXT:
                            self._handle(frame.json())
                        elif frame.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                            break
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            self.ws = None
            self.synced.clear()
            if self._closing:
                return
            self._url_index += 1  # try the next server; come back round to the first
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        now = time.monotonic()
        if kind == "ack":
            client_id = frame["client_id"]
            self.outbox.pop(client_id, None)
            if client_id in self.acked and self.acked[client_id] != frame["seq"]:
                self.errors.append(("ack with another seq", client_id, self.acked[client_id], frame["seq"]))
            self.acked[client_id] = frame["seq"]
            self.ack_at.setdefault(client_id, now)
        elif kind == "message":
            seq = int(frame["seq"])
            if seq in self.messages:
                self.repeats += 1  # a broadcast that crossed a sync: dropped, as the script does
                return
            received = Received(seq, frame.get("client_id", ""), frame.get("sender", ""), now)
            self.messages[seq] = received
            # The last seq held without a gap: broadcasts from two servers can arrive out of order,
            # and one that never arrives must still be asked for by the next sync.
            while self.last_seq + 1 in self.messages:
                self.last_seq += 1
            if seq > self.last_seq + 1 and self._gap_check is None:
                self._gap_check = asyncio.get_running_loop().call_later(GAP_WAIT, self._fill_gap)
            if self.on_message is not None:
                self.on_message(received)
        elif kind == "synced":
            self.synced.set()
        elif kind == "error":
            self.errors.append(frame)

    def _fill_gap(self) -> None:
        """A gap that is still there after ``GAP_WAIT``: the broadcast was lost; ask for it."""
        self._gap_check = None
        if max(self.messages, default=0) > self.last_seq:
            self.gap_syncs += 1
            self._background.add(task := asyncio.get_running_loop().create_task(self.sync()))
            task.add_done_callback(self._background.discard)

    def transcript(self) -> list[tuple[int, str, str]]:
        return [(m.seq, m.sender, m.client_id) for _seq, m in sorted(self.messages.items())]


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def check_delivery(visitor: ChatClient, peer: ChatClient) -> list[str]:
    """What went wrong, if anything: both sides hold the same transcript, numbered 1..n without
    gaps; every acknowledged message is in it exactly once, under the seq it was acked with; each
    side's own messages are in the order they were written."""
    problems: list[str] = []
    for side in (visitor, peer):
        if side.errors:
            problems.append(f"{side.name}: errors {side.errors[:3]}")
        if side.outbox:
            problems.append(f"{side.name}: {len(side.outbox)} never acknowledged")
    if visitor.transcript() != peer.transcript():
        problems.append("the two sides hold different transcripts")
    seqs = sorted(visitor.messages)
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append("seq numbers have gaps")
    by_client: dict[str, list[int]] = {}
    for m in visitor.messages.values():
        by_client.setdefault(m.client_id, []).append(m.seq)
    for side in (visitor, peer):
        for client_id, seq in side.acked.items():
            stored = by_client.get(client_id, [])
            if stored != [seq]:
                problems.append(f"{side.name}: {client_id} acked as {seq}, in the transcript as {stored}")
        own = [cid for cid in side.sent_at if cid in side.acked]
        if [side.acked[c] for c in own] != sorted(side.acked[c] for c in own):
            problems.append(f"{side.name}: own messages out of order")
    return problems
