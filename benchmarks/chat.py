"""Live chat under load (GitHub issue 6): relay latency, nothing lost, nothing repeated, memory.

    .venv/bin/python benchmarks/chat.py [--pairs 200] [--seconds 60] [--interval 3] \
        [--interval 10] [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Creates the PostgreSQL database ``alongside_bench_chat`` (dropped at the end), migrates it, starts a
private ``redis-server`` on a free port (never the machine's shared one) and two uvicorn servers in
production mode (DEBUG off) sharing that database and channel layer, all on loopback. A setup step
(this script with ``--setup``, inside Django) makes one organisation, a chat line and one peer
supporter per pair with a signed-in, second-factor session, and starts and claims one chat per pair.

Each visitor connects to the first server and each peer supporter to the second, with the client
the fault tests use (``tests/warmline/chat/servers.py``: outbox, resend, sync, repeats dropped by
seq). Then every side writes a message every ``--interval`` seconds on average (random spacing;
10 s, six messages a minute per person, is a fast typed conversation; 200 pairs make 40 messages a
second in all) for ``--seconds``. Relay latency is send → received
on the other side (broadcast after commit, through Redis, to the other server). After the run
each side syncs once, as a client does after a gap; then:

* lost: acknowledged messages the other side does not hold even after that sync;
* duplicated: a client id stored under more than one seq, or acknowledged with two seqs;
* gap syncs: syncs a client sent because a broadcast did not arrive within a second (Redis drops
  broadcasts to a server whose channel queue is full; the sync recovers them).

Baseline, in the same run: one pair alone exchanging messages one at a time before the load starts
(the relay latency with nothing else going on); the ratio is p99 under load ÷ that p50.
Memory: each server's VmRSS at the end and its peak (VmHWM), from /proc. Targets: p99 ≤ 100 ms,
lost 0, duplicated 0, each server ≤ 400 MB. The last line is one JSON object: ``p50_ms``,
``p99_ms``, ``sent``, ``acked``, ``received``, ``lost``, ``duplicated``, ``server_mb`` (plus a few).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DB_NAME = "alongside_bench_chat"


def setup(pairs: int) -> None:
    """Inside Django (DATABASE_URL names the benchmark database): print the pairs as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")
    import django

    django.setup()
    from django.conf import settings
    from django_scopes import scopes_disabled

    from alongside.accounts import services
    from alongside.core.tenancy import tenant_scope
    from alongside.core.testing import verified_client
    from alongside.warmline import chat, hours, shifts
    from alongside.warmline.models import Line

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup only
    # Hours and shifts are other parts' concern: open, and everyone on shift, for this run.
    setattr(hours, "line_status", lambda line, at: hours.LineStatus(is_open=True, opens_at=None))  # noqa: B010
    setattr(shifts, "available_peers", lambda line, at: [1])  # noqa: B010
    setattr(shifts, "is_on_shift", lambda user, line, at: True)  # noqa: B010

    out: dict[str, Any] = {"cookie": settings.SESSION_COOKIE_NAME, "pairs": []}
    with scopes_disabled():
        org = services.organisation_create(acting_user=None, name="Bench Peers", slug="bench")
        line = Line.objects.create(organisation=org, slug="talk", name="Bench Talk Line", chat_enabled=True)
        for i in range(pairs):
            user = services.user_create(
                acting_user=None, email=f"peer{i}@bench.test", password=None, full_name=f"Peer {i}"
            )
            services.membership_grant(acting_user=None, organisation=org, user=user, role="peer")
            session = verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
            with tenant_scope(org):
                started = chat.chat_start(line=line, first_line="I would like to talk", terms_accepted=True)
                chat.chat_claim(acting_user=user, conversation=started.conversation)
            out["pairs"].append({"id": str(started.conversation.pk), "secret": started.secret, "session": session})
    out["org"] = org.slug
    print(json.dumps(out))


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _psql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[call-overload,unused-ignore]


def _db_url(admin_url: str, name: str) -> str:
    base, _sep, _db = admin_url.rpartition("/")
    return f"{base}/{name}"


def _holds(side: Any, client_id: str) -> Any:
    return lambda: client_id in {m.client_id for m in side.messages.values()}


async def load(args: argparse.Namespace, world: dict[str, Any], servers: list[Any]) -> dict[str, Any]:
    import aiohttp

    from tests.warmline.chat.servers import ChatClient, until

    a, b = servers
    org = world["org"]
    random.seed(7)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        pairs: list[tuple[ChatClient, ChatClient]] = []
        for p in world["pairs"]:
            visitor = ChatClient(
                [a.ws_url(f"/ws/chat/{p['id']}/")],
                {"Cookie": f"alongside_chat={p['id']}.{p['secret']}", "Origin": a.origin},
                session,
                name="visitor",
            )
            peer = ChatClient(
                [b.ws_url(f"/ws/warmline/{org}/chat/{p['id']}/")],
                {"Cookie": f"{world['cookie']}={p['session']}", "Origin": b.origin},
                session,
                name="peer",
            )
            pairs.append((visitor, peer))
        latencies: list[float] = []
        timeline: list[tuple[float, float]] = []
        measuring = [False]

        def watch(sender: ChatClient, receiver: ChatClient) -> None:
            def seen(message: Any) -> None:
                started = sender.sent_at.get(message.client_id)
                if started is not None and measuring[0]:
                    latencies.append((message.at - started) * 1000)
                    timeline.append((message.at, (message.at - started) * 1000))

            receiver.on_message = seen

        for visitor, peer in pairs:
            watch(visitor, peer)
            watch(peer, visitor)
            visitor.start()
            peer.start()
        await until(lambda: all(v.connected and p.connected for v, p in pairs), 120, "every socket connected")

        # Baseline: one pair alone, one message at a time.
        quiet: list[float] = []
        v0, p0 = pairs[0]
        for i in range(20):
            sender, receiver = (v0, p0) if i % 2 == 0 else (p0, v0)
            client_id = f"q-{i}"
            await sender.send(client_id, f"quiet {i}")
            await until(_holds(receiver, client_id), 10, "relay")
            seq = sender.acked.get(client_id) or max(receiver.messages)
            quiet.append((receiver.messages[seq].at - sender.sent_at[client_id]) * 1000)

        measuring[0] = True
        began = time.monotonic()
        cpu_before = [_cpu_seconds(s.pid) for s in servers]
        end = time.monotonic() + args.seconds

        async def writer(side: ChatClient, tag: str) -> None:
            await asyncio.sleep(random.uniform(0, args.interval))
            n = 0
            while time.monotonic() < end:
                await side.send(f"{tag}-{n}", f"message {n} from {tag}")
                n += 1
                await asyncio.sleep(random.uniform(0.5, 1.5) * args.interval)

        await asyncio.gather(
            *(writer(side, f"{tag}{i}") for i, pair in enumerate(pairs) for side, tag in zip(pair, "vp", strict=True))
        )
        measuring[0] = False
        memory = [s.memory_mb() for s in servers]
        cpu = [_cpu_seconds(s.pid) - before for s, before in zip(servers, cpu_before, strict=True)]
        settle_deadline = time.monotonic() + 30
        while time.monotonic() < settle_deadline and any(v.outbox or p.outbox for v, p in pairs):
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # the last broadcasts
        for v, p in pairs:
            for side in (v, p):
                side.synced.clear()
                await side.sync()
        await until(lambda: all(v.synced.is_set() and p.synced.is_set() for v, p in pairs), 30, "the final sync")
        await asyncio.sleep(1)

        sent = acked = received = lost = duplicated = errors = 0
        acks_ms: list[float] = []
        for visitor, peer in pairs:
            for sender, receiver in ((visitor, peer), (peer, visitor)):
                ids = [c for c in sender.sent_at if not c.startswith("q-")]
                sent += len(ids)
                held = {m.client_id: [] for m in receiver.messages.values()}  # type: dict[str, list[int]]
                for m in receiver.messages.values():
                    held[m.client_id].append(m.seq)
                for c in ids:
                    if c in sender.acked:
                        acked += 1
                        acks_ms.append((sender.ack_at[c] - sender.sent_at[c]) * 1000)
                        if c not in held:
                            lost += 1
                    if c in held:
                        received += 1
                        if len(held[c]) > 1 or (c in sender.acked and held[c] != [sender.acked[c]]):
                            duplicated += 1
                errors += len(sender.errors)
        for v, p in pairs:
            await v.close()
            await p.close()
    return {
        "latencies": latencies,
        "by_10s": [
            (k, _pct([ms for t, ms in timeline if int((t - began) // 10) == k], 99))
            for k in sorted({int((t - began) // 10) for t, _ms in timeline})
        ],
        "quiet": quiet,
        "acks_ms": acks_ms,
        "sent": sent,
        "acked": acked,
        "received": received,
        "lost": lost,
        "duplicated": duplicated,
        "gap_syncs": sum(v.gap_syncs + p.gap_syncs for v, p in pairs),
        "errors": errors,
        "memory": memory,
        "cpu": cpu,
        "reconnects": sum(v.connects + p.connects - 2 for v, p in pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=10.0, help="mean seconds between one side's messages")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--setup", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup(args.setup)
        return

    from cryptography.fernet import Fernet

    from tests.warmline.chat.servers import PrivateRedis, Server, running, server_env

    var_dir = tempfile.mkdtemp(prefix="alongside-bench-chat-")
    redis = PrivateRedis()
    env = server_env(
        database_url=_db_url(args.postgres, DB_NAME),
        redis_url=redis.url(0),
        secret_key=secrets.token_urlsafe(50),
        encryption_keys=Fernet.generate_key().decode(),
        var_dir=var_dir,
        debug=False,
    )
    _psql(args.postgres, f"DROP DATABASE IF EXISTS {DB_NAME}")
    _psql(args.postgres, f"CREATE DATABASE {DB_NAME}")
    try:
        t0 = time.monotonic()
        subprocess.run([str(REPO / ".venv/bin/alongside"), "migrate", "-v0"], env=env, check=True, cwd=REPO)
        made = subprocess.run(
            [sys.executable, __file__, "--setup", str(args.pairs)],
            env=env,
            check=True,
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        world = json.loads(made.stdout.strip().splitlines()[-1])
        print(f"database migrated and {args.pairs} claimed chats made in {time.monotonic() - t0:.1f} s")
        # The set-up wrote a whole database: flush it to disk now, so the checkpoint it would
        # trigger does not land in the measured minute (steady state, not the set-up, is measured).
        _psql(args.postgres, "CHECKPOINT")
        _psql(_db_url(args.postgres, DB_NAME), "VACUUM ANALYZE")
        servers = [Server(env, log_dir=var_dir), Server(env, log_dir=var_dir)]
        with running(servers, redis):
            load_before = os.getloadavg()[0]
            r = asyncio.run(load(args, world, servers))
            load_after = os.getloadavg()[0]
    finally:
        _psql(args.postgres, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)  # the servers' logs too

    p50, p99 = _pct(r["latencies"], 50), _pct(r["latencies"], 99)
    quiet50 = statistics.median(r["quiet"])
    server_mb = [round(max(rss, hwm), 1) for rss, hwm in r["memory"]]
    print(f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"load average {load_before:.1f} before, {load_after:.1f} after")
    print(f"{args.pairs} pairs, {args.seconds:.0f} s, a message every {args.interval} s per side on average")
    print(f"baseline, one pair alone: relay p50 {quiet50:.1f} ms (20 messages)")
    print(f"relay under load: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({p99 / quiet50:.1f} × baseline p50)")
    print("relay p99 by 10 s of the run:", ", ".join(f"{k * 10}s: {v:.0f} ms" for k, v in r["by_10s"]))
    print(f"ack: p50 {_pct(r['acks_ms'], 50):.1f} ms, p99 {_pct(r['acks_ms'], 99):.1f} ms")
    print(
        f"sent {r['sent']}, acked {r['acked']}, received {r['received']}, lost {r['lost']}, "
        f"duplicated {r['duplicated']}, gap syncs {r['gap_syncs']}, "
        f"errors {r['errors']}, reconnects {r['reconnects']}"
    )
    for i, (rss, hwm) in enumerate(r["memory"]):
        cpu = r["cpu"][i]
        print(
            f"server {i + 1}: VmRSS {rss:.1f} MB, peak VmHWM {hwm:.1f} MB, CPU {cpu:.1f} s while writing "
            f"({cpu / args.seconds * 100:.0f} % of one core)"
        )
    ok = p99 <= 100 and r["lost"] == 0 and r["duplicated"] == 0 and max(server_mb) <= 400
    print("targets (p99 ≤ 100 ms, lost 0, duplicated 0, each server ≤ 400 MB):", "met" if ok else "NOT met")
    result = {
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "sent": r["sent"],
        "acked": r["acked"],
        "received": r["received"],
        "lost": r["lost"],
        "duplicated": r["duplicated"],
        "server_mb": server_mb,
        "baseline_p50_ms": round(quiet50, 2),
        "ratio": round(p99 / quiet50, 2),
        "gap_syncs": r["gap_syncs"],
        "interval_s": args.interval,
        "pairs": args.pairs,
        "seconds": args.seconds,
        "load_average": [round(load_before, 1), round(load_after, 1)],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
