"""The debt-table API of ``ledger serve`` under 50 concurrent signed-in debtors (issue 16).

The ledger is the one ``python -m bench.close_day --seeded cd100k`` seeds and keeps
(100,000 debtors, closed to July's deadline; seeded here if the schema is missing,
which takes about 20 minutes), its read models caught up (as ``ledger projections
run`` does) before anything is timed. Three processes of their own, all on loopback:

- the test OpenID Connect provider (``oidc-provider-mock``), whose predefined users
  are the sampled debtors (``taxid`` = the debtor's ΑΦΜ);
- ``ledger serve --workers N`` (uvicorn), once per worker count asked (``--workers 1,2``);
- the load: an httpx async client in a process apart (``python -m bench.web drive``),
  each of its 50 sessions a different debtor signed in through the code flow (its
  session cookie; ``--auth bearer``: an access token from the provider instead),
  asking ``GET /api/v1/debtors/{afm}/debt-table`` for its own ΑΦΜ back to back for
  30 s after a warm-up of 3 s, each session its own client and connection. Any
  answer but 200 is counted as an error (``errors``), and the line is not ``met``.

Back to back, 50 sessions keep 50 requests in the server at all times, so their latency
is 50 ÷ the rate (Little's law): a p95 of 100 ms needs about 700 requests/s there. So
one more run, with the most workers and the caches on, offers the target rate itself:
each session asks every 50/300 s (``--rates 300``), its latency counted from when the
request was due (a late start counts).

The server runs with its fast paths (``ledger/entrypoints/http/fast.py``: the debt table's
JSON kept by the read models' position, sessions kept 5 s) and again without them
(``LEDGER_WEB_VIEW_CACHE=0``, ``LEDGER_WEB_SESSION_CACHE_SECONDS=0``: every request
computes its view, as the CLI does): ``--caches on,off``, a line each.

The baseline, in the same run and on the same debtors, before the server starts: the
CLI's query path in this process, sequentially (``ledger show debt-table AFM --json``:
``projections.reader.debt_table``, which catches the read models up first, then the
JSON): its per-request latency and its rate. Prints one JSON line per worker count and
caches, then per paced rate: requests/s (value; target ≥ 300/s) against the CLI path's rate, and
p50/p95/p99 (target p95 ≤ 100 ms); ``met`` is both. The CPU seconds per second of the
server's processes, the driver and every PostgreSQL process during the timed window
say what was busy; ``--sample-server`` serves with one worker and a sampling profiler
of all its threads (the threadpool too), printed on stderr at the end.

    python -m bench web                      # 100,000 debtors (schema cd100k), workers 1 and 2, caches on and off
    python -m bench.web --quick              # 2,000 debtors seeded in a fresh schema, 10 s each
    python -m bench.web --workers 2 --seconds 30 --auth bearer
    python -m bench.web --profile            # pyinstrument over requests in-process, no server
    python -m bench.web --workers 1 --caches off --sample-server   # where a worker's time goes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from bench.common import base_url, fresh_schema, machine, note, print_line, result_line, schema_url

FULL, QUICK = 100_000, 2_000
SEEDED = "cd100k"  # the schema ``python -m bench.close_day --seeded cd100k`` keeps
SESSIONS = 50
SECONDS, QUICK_SECONDS = 30.0, 10.0
WARMUP_S = 3.0
BASELINE_S = 10.0
REBUILD_FROM = 200_000  # notifications behind: rebuild the read models rather than catch up
TARGET_RPS, TARGET_P95_MS = 300.0, 100.0
CLIENT_ID, CLIENT_SECRET = "bench-web", "bench-secret"
SESSION_COOKIE = "keao_session"
LEDGER = str(Path(sys.executable).with_name("ledger"))


# -- the figures ---------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def latency_figures(samples_ms: list[float], prefix: str = "") -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {f"{prefix}p50_ms": round(statistics.median(ordered), 2), f"{prefix}p95_ms": round(percentile(ordered, 0.95), 2),
            f"{prefix}p99_ms": round(percentile(ordered, 0.99), 2), f"{prefix}max_ms": round(ordered[-1], 2)}


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of these processes so far (``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total / ticks


def postgres_cpu_seconds() -> float:
    """Every PostgreSQL process's CPU so far, and that of the backends that ended (the
    postmaster reaped them: its children's time), so that a pool opening and closing
    connections is counted too."""
    ticks = os.sysconf("SC_CLK_TCK")
    live = processes_named("postgres")
    reaped = 0
    for pid in live:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == 1 or fields[1] not in {str(p) for p in live}:  # the postmaster (its parent is not postgres)
                reaped += int(fields[13]) + int(fields[14])  # cutime, cstime
        except (OSError, IndexError, ValueError):
            pass
    return cpu_seconds(live) + reaped / ticks


def processes_named(word: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip().startswith(word):
                        found.append(int(entry))
            except OSError:
                pass
    return found


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn's workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


# -- the ledger ------------------------------------------------------------------------------


@contextmanager
def ledger_schema(quick: bool, debtors: int | None, seeded: str | None, seed: int) -> Iterator[tuple[str, int]]:
    """The schema to serve and its debtors: the kept ``seeded`` one (seeded first if missing,
    as ``bench.close_day --seeded`` does), or for ``--quick`` a fresh one, dropped after."""
    import psycopg

    from bench.close_day import schema_exists, seed_closed

    if quick and seeded is None:
        size = debtors or QUICK
        with fresh_schema("web") as schema:
            note(f"web: seeding {size} debtors into {schema} ...")
            seed_closed(schema, size, seed)
            yield schema, size
        return
    schema = seeded or SEEDED
    size = debtors or (QUICK if quick else FULL)
    if not schema_exists(schema):
        note(f"web: no schema {schema}: seeding {size} debtors into it and keeping it (as bench.close_day "
             f"--seeded {schema}; about 20 minutes at 100,000) ...")
        with psycopg.connect(base_url(), autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        seed_closed(schema, size, seed)
    else:
        note(f"web: serving the seeded schema {schema} ({size} debtors assumed: --debtors if it differs)")
    yield schema, size


def catch_up(url: str) -> dict[str, Any]:
    """The read models brought to the head of the log, as ``ledger projections run`` does
    (without refreshing the operators' figures, which the debt table does not read). A
    ledger whose read models are far behind (a fresh seed) is rebuilt instead, which
    splits the projections between processes (``Runner.rebuild``; 2-3x faster here);
    then caught up."""
    from projections.runner import Runner

    from ledger.application import Ledger

    ledger = Ledger(url)
    try:
        runner = Runner(ledger, url)
        runner.setup()
        with runner.engine.connect() as conn:
            states, at = runner.states(conn), runner.positions(conn)
            active = [at.get((n, s.active_version, s.active_slot), 0) for n, s in states.items()]
            behind = runner.head() - min(active, default=0)
            conn.rollback()
        started = time.perf_counter()
        rebuilt = behind > REBUILD_FROM
        if rebuilt:
            note(f"web: read models {behind} notifications behind: rebuilding them ...")
            runner.rebuild()
        applied = runner.catch_up()
        caught_up_s = time.perf_counter() - started
        note(f"web: read models caught up ({'rebuilt, then ' if rebuilt else ''}{applied} notifications applied) "
             f"in {caught_up_s:.1f}s")
        runner.engine.dispose()
        return {"read_models_behind": behind, "read_models_rebuilt": rebuilt,
                "read_models_catch_up_s": round(caught_up_s, 1)}
    finally:
        ledger.close()


def sample_afms(debtors: int, sessions: int, seed: int) -> list[str]:
    from bench.workload import FIRST_AFM
    from ledger.demo import afm_for

    rng = random.Random(seed)
    return [afm_for(FIRST_AFM + n) for n in rng.sample(range(debtors), min(sessions, debtors))]


def cli_baseline(url: str, afms: list[str], seconds: float) -> dict[str, Any]:
    """``ledger show debt-table AFM --json``'s path in this process, one after another:
    ``projections.reader.debt_table`` (catching up first, as the CLI does) and the JSON
    as ``print_json`` writes it (without the indent). Also the portal's own path
    (``reading(catch_up=False)``), for the share of the catch-up check."""
    from ledger import views
    from ledger.entrypoints.bootstrap import Bootstrap
    from ledger.entrypoints.output import plain
    from projections import reader

    services = Bootstrap()
    services.use(url)
    runner = services.runner()

    def cli(afm: str) -> None:
        json.dumps(reader.debt_table(runner, afm), default=plain, ensure_ascii=False)

    def portal(afm: str) -> None:
        with reader.reading(runner, catch_up=False) as r:
            json.dumps(views.debt_table(r, afm), default=plain, ensure_ascii=False)

    try:
        for afm in afms:  # warm: the engine's pool, the tables' metadata
            cli(afm)
        figures: dict[str, Any] = {}
        for name, query, budget in (("", cli, seconds), ("portal_path_", portal, seconds / 2)):
            samples: list[float] = []
            started = time.perf_counter()
            while time.perf_counter() - started < budget:
                for afm in afms:
                    at = time.perf_counter()
                    query(afm)
                    samples.append((time.perf_counter() - at) * 1000)
            elapsed = time.perf_counter() - started
            figures[f"baseline_{name}per_s"] = round(len(samples) / elapsed, 1)
            figures |= latency_figures(samples, f"baseline_{name}")
            figures[f"baseline_{name}requests"] = len(samples)
        return figures
    finally:
        services.close()


# -- the provider and the server --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, process: subprocess.Popen[Any], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready after {timeout:.0f}s")
        time.sleep(0.2)


def answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def process(command: list[str], env: dict[str, str] | None = None, **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    started = subprocess.Popen(command, env=env, start_new_session=True, **popen)
    try:
        yield started
    finally:
        if started.poll() is None:
            os.killpg(started.pid, signal.SIGTERM)  # its own session: uvicorn's workers too
            try:
                started.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(started.pid, signal.SIGKILL)
                started.wait()


def provider_main(users_file: str) -> None:
    """``python -m bench.web provider USERS``: the test provider on loopback with these
    users; prints its issuer, then serves until stdin closes or SIGTERM."""
    import logging

    import oidc_provider_mock

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request on stderr
    users = [oidc_provider_mock.User(sub=u["sub"], claims=u["claims"]) for u in json.loads(Path(users_file).read_text())]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with oidc_provider_mock.run_server_in_thread(0, user_claims=users) as server:
        print(f"http://localhost:{server.server_port}", flush=True)
        sys.stdin.read()


@contextmanager
def provider(afms: list[str], folder: Path) -> Iterator[str]:
    users = [{"sub": f"debtor-{afm}", "claims": {"taxid": afm}} for afm in afms]
    users_file = folder / "users.json"
    users_file.write_text(json.dumps(users))
    with process([sys.executable, "-W", "ignore", "-m", "bench.web", "provider", str(users_file)],
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as started:
        assert started.stdout is not None
        issuer = started.stdout.readline().strip()
        if not issuer:
            raise RuntimeError("the test provider did not start")
        wait_for(lambda: answers(f"{issuer}/.well-known/openid-configuration"), "the test provider", started)
        yield issuer


@contextmanager
def server(url: str, issuer: str, workers: int, folder: Path, env: dict[str, str],
           sampled: bool = False) -> Iterator[tuple[str, int]]:
    """``ledger --db URL serve --workers N`` on a free loopback port, its identity provider
    the test one; yields its base URL and process id."""
    port = free_port()
    environment = {**os.environ, **env, "LEDGER_OIDC_ISSUER": issuer, "LEDGER_OIDC_CLIENT_ID": CLIENT_ID,
                   "LEDGER_OIDC_CLIENT_SECRET": CLIENT_SECRET, "LEDGER_SESSION_SECRET": "bench-web-" + "s" * 32,
                   "LEDGER_ACCESS_LOG": str(folder / f"access-{workers}.log"), "PYTHONWARNINGS": "ignore"}
    command = [LEDGER, "--db", url, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if sampled:  # one worker, a sampling profiler in it (sampled_server)
        environment["LEDGER_DB_URL"] = url
        command = [sys.executable, "-W", "ignore", "-m", "bench.web", "serve-sampled", str(port)]
    with process(command, env=environment, stdout=sys.stderr) as started:  # stdout: the JSON lines only
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers(f"{base}/healthz"), "ledger serve", started)
        yield base, started.pid


# -- the load (its own process) ------------------------------------------------------------------


def cookies_of(response: Any) -> dict[str, str]:
    """The cookies a response sets, read from its headers (they are ``Secure``: a client's
    jar would not send them back over plain HTTP; a browser behind the TLS proxy does)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, value = header.split(";", 1)[0].partition("=")
        found[name.strip()] = value.strip()
    return found


async def sign_in_cookie(client: Any, base: str, afm: str) -> dict[str, str]:
    """The code flow, as a browser walks it: /login, the provider's form, the callback."""
    login = await client.get(f"{base}/login")
    assert login.status_code in (302, 307), (login.status_code, login.text[:200])
    cookie = cookies_of(login)[SESSION_COOKIE]
    at_provider = await client.post(login.headers["location"], data={"sub": f"debtor-{afm}"})
    assert at_provider.status_code == 302, (at_provider.status_code, at_provider.text[:200])
    done = await client.get(at_provider.headers["location"], headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert done.status_code == 303, (done.status_code, done.text[:300])
    return {"Cookie": f"{SESSION_COOKIE}={cookies_of(done)[SESSION_COOKIE]}"}


async def sign_in_bearer(client: Any, base: str, issuer: str, afm: str) -> dict[str, str]:
    metadata = (await client.get(f"{issuer}/.well-known/openid-configuration")).json()
    redirect = f"{base}/auth/callback"
    answer = await client.post(metadata["authorization_endpoint"], params={
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect, "scope": "openid profile",
        "state": "s"}, data={"sub": f"debtor-{afm}"})
    code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
    token = (await client.post(metadata["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET})).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


async def drive(base: str, issuer: str, afms: list[str], seconds: float, warmup: float, auth: str,
                rate: float = 0.0) -> dict[str, Any]:
    """Each session its own client and connection, as each browser has: one client shared by
    50 tasks costs the driver 5-7 ms of CPU a request in httpcore's pool (1 ms this way,
    measured against a trivial server), CPU the server's two cores would lose."""
    import httpx

    clients = [httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=1)) for _ in afms]
    try:
        started = time.perf_counter()
        headers = []
        for client, afm in zip(clients, afms):  # one at a time: the provider's server is single-threaded
            if auth == "bearer":
                headers.append(await sign_in_bearer(client, base, issuer, afm))
            else:
                headers.append(await sign_in_cookie(client, base, afm))
        signed_in_s = time.perf_counter() - started
        phase = {"timing": False, "stop": False}
        samples: list[float] = []
        errors: dict[str, int] = {}
        bodies: list[int] = []

        async def session(client: httpx.AsyncClient, afm: str, sent: dict[str, str], offset: float) -> None:
            path = f"{base}/api/v1/debtors/{afm}/debt-table"
            every = len(afms) / rate if rate else 0.0  # paced: this session's share of the offered rate
            due = time.perf_counter() + offset * every
            while not phase["stop"]:
                if every:
                    wait = due - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    at, due = due, due + every  # from when it was due: a late start counts in its latency
                else:
                    at = time.perf_counter()
                try:
                    answer = await client.get(path, headers=sent)
                    status = str(answer.status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                    answer = None
                spent = (time.perf_counter() - at) * 1000
                if not phase["timing"] or phase["stop"]:
                    continue
                if status == "200":
                    samples.append(spent)
                    if answer is not None and len(bodies) < len(afms):
                        bodies.append(len(answer.content))
                else:
                    errors[status] = errors.get(status, 0) + 1

        offsets = [n / len(afms) for n in range(len(afms))]
        tasks = [asyncio.create_task(session(*args)) for args in zip(clients, afms, headers, offsets)]
        await asyncio.sleep(warmup)
        phase["timing"] = True
        print("timing", flush=True)  # the parent reads the server's CPU from here ...
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        phase["stop"] = True
        elapsed, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print("timed", flush=True)  # ... to here
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()
    return {"requests": len(samples), "errors": errors, "seconds": round(elapsed, 2),
            "per_s": round(len(samples) / elapsed, 1), **(latency_figures(samples) if samples else {}),
            "driver_cpu_s": round(cpu, 2), "signed_in_s": round(signed_in_s, 1),
            "body_bytes_mean": round(statistics.mean(bodies)) if bodies else None}


def drive_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web drive")
    parser.add_argument("--base", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--afms", required=True, help="comma-separated")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--warmup", type=float, default=WARMUP_S)
    parser.add_argument("--auth", choices=["cookie", "bearer"], default="cookie")
    parser.add_argument("--rate", type=float, default=0.0, help="requests/s offered by all sessions (0: back to back)")
    args = parser.parse_args(argv)
    figures = asyncio.run(drive(args.base, args.issuer, args.afms.split(","), args.seconds, args.warmup, args.auth,
                                args.rate))
    print(json.dumps(figures), flush=True)


def load(base: str, issuer: str, afms: list[str], seconds: float, auth: str, server_pid: int,
         rate: float = 0.0) -> dict[str, Any]:
    """The driver in a process of its own; the CPU of the server and of PostgreSQL during it."""
    command = [sys.executable, "-W", "ignore", "-m", "bench.web", "drive", "--base", base, "--issuer", issuer,
               "--afms", ",".join(afms), "--seconds", str(seconds), "--auth", auth, "--rate", str(rate)]
    watched: dict[str, list[int]] = {}

    def now() -> tuple[float, float, float]:
        # The server's processes as the timed window starts (uvicorn's workers), read again at its end.
        if not watched:
            watched.update(servers=descendants(server_pid))
        return time.perf_counter(), cpu_seconds(watched["servers"]), postgres_cpu_seconds()

    marks: dict[str, tuple[float, float, float]] = {}
    output = ""
    with process(command, stdout=subprocess.PIPE, text=True) as driver:
        assert driver.stdout is not None
        for line in driver.stdout:  # the timed window's marks, then the figures
            if line.strip() in ("timing", "timed"):
                marks[line.strip()] = now()
            else:
                output += line
        driver.wait()
    if driver.returncode != 0 or len(marks) != 2:
        raise RuntimeError(f"the load driver exited with status {driver.returncode}")
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    (t0, server0, pg0), (t1, server1, pg1) = marks["timing"], marks["timed"]
    figures["server_cpu_s_per_s"] = round((server1 - server0) / (t1 - t0), 2)  # uvicorn and its workers
    figures["server_processes"] = len(watched["servers"])
    figures["postgres_cpu_s_per_s"] = round((pg1 - pg0) / (t1 - t0), 2)  # every postgres process on the host
    figures["driver_cpu_s_per_s"] = round(figures["driver_cpu_s"] / figures["seconds"], 2)
    return figures


# -- the profile ---------------------------------------------------------------------------------


def profile(url: str, afms: list[str], requests: int) -> None:
    """pyinstrument over ``requests`` debt tables asked through the whole ASGI app in this
    process (httpx's ASGI transport, bearer users cached), the threadpool run inline so
    that the sampled thread sees the session lookup and the view too."""
    import httpx
    import starlette.concurrency
    from pyinstrument import Profiler

    import fastapi.dependencies.utils as dependency_utils
    import fastapi.routing as routing
    from ledger.entrypoints.bootstrap import Bootstrap
    from ledger.entrypoints.http import auth as auth_module
    from ledger.entrypoints.http.app import create_app
    from ledger.entrypoints.http.config import WebConfig

    async def inline(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    for module in (starlette.concurrency, routing, dependency_utils, auth_module):
        if hasattr(module, "run_in_threadpool"):
            module.run_in_threadpool = inline  # type: ignore[attr-defined]
    services = Bootstrap()
    services.use(url)
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    config = WebConfig(issuer="http://127.0.0.1:9", client_id="x", client_secret="x", session_secret="s" * 32,
                       secure_cookies=False, access_log=str(folder / "access.log"))
    app = create_app(services, config, follow=False)
    identity = app.state.identity
    tokens = [identity.store.open(app.state.portal.sign_in(f"debtor-{afm}", "", frozenset(), afm))
              for afm in afms]  # sessions of the store, as the callback opens them

    async def run() -> None:
        from itsdangerous import TimestampSigner
        import base64

        signer = TimestampSigner(config.session_secret)
        cookies = [signer.sign(base64.b64encode(json.dumps({"token": t}).encode())).decode() for t in tokens]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for afm, cookie in zip(afms, cookies):  # warm
                answer = await client.get(f"/api/v1/debtors/{afm}/debt-table", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
                assert answer.status_code == 200, (answer.status_code, answer.text[:200])
            profiler = Profiler(async_mode="disabled")
            profiler.start()
            started = time.perf_counter()
            for n in range(requests):
                i = n % len(afms)
                await client.get(f"/api/v1/debtors/{afms[i]}/debt-table", headers={"Cookie": f"{SESSION_COOKIE}={cookies[i]}"})
            elapsed = time.perf_counter() - started
            profiler.stop()
        note(profiler.output_text(unicode=False, color=False))
        note(f"web: profile: {requests} requests in {elapsed:.2f}s in-process ({requests / elapsed:.0f}/s, "
             f"{elapsed / requests * 1000:.2f} ms each, sequential)")

    try:
        asyncio.run(run())
    finally:
        services.close()


IDLE = ("selectors.py:select", "threading.py:wait", "queue.py:get", "base_events.py:_run_once",
        "_worker.py:run", "thread.py:_worker", "socketserver.py:serve_forever")


def sampled_server(port: int, interval: float = 0.002) -> None:
    """``python -m bench.web serve-sampled PORT``: ``ledger serve``'s app (one worker, its
    configuration from the environment as uvicorn's factory) with a sampler thread that
    reads every thread's stack every ``interval`` (``sys._current_frames``: the threadpool
    too, which pyinstrument does not see). On SIGTERM it prints, of the samples not idle,
    the share of each function on the stack (inclusive) and at its top (self)."""
    import collections
    import threading

    import uvicorn

    from ledger.entrypoints.http.app import from_environment

    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    busy = {"samples": 0, "idle": 0}
    done = threading.Event()

    def where(frame: Any) -> str:
        return f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"

    def sample() -> None:
        me = threading.get_ident()
        while not done.wait(interval):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                top = where(frame)
                if top in IDLE:
                    busy["idle"] += 1
                    continue
                busy["samples"] += 1
                leaf[top] += 1
                seen = set()
                while frame is not None:
                    name = where(frame)
                    if name not in seen:
                        seen.add(name)
                        inclusive[name] += 1
                    frame = frame.f_back

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    server = uvicorn.Server(uvicorn.Config(from_environment(), host="127.0.0.1", port=port, log_level="warning"))
    # uvicorn re-raises the SIGTERM it stopped on, with the handler it found: this one, not death.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.run()
    finally:
        done.set()
        total = busy["samples"] or 1
        note(f"web: sampled server: {busy['samples']} busy thread samples ({busy['idle']} idle)")
        note("inclusive (share of busy samples with the function on the stack):")
        for name, count in inclusive.most_common(60):
            note(f"  {count / total:6.1%}  {name}")
        note("self (at the top of the stack):")
        for name, count in leaf.most_common(30):
            note(f"  {count / total:6.1%}  {name}")


# -- the run ---------------------------------------------------------------------------------------


def measure(url: str, debtors: int, afms: list[str], workers: list[int], seconds: float, auth: str,
            baseline_s: float, extra: dict[str, Any], caches: tuple[bool, ...] = (True,),
            sampled: bool = False, rates: tuple[float, ...] = ()) -> list[dict[str, Any]]:
    note(f"web: the CLI's path, in-process and sequential, {baseline_s:.0f}s over {len(afms)} debtors ...")
    baseline = cli_baseline(url, afms, baseline_s)
    note(f"web: baseline {baseline['baseline_per_s']}/s, p95 {baseline['baseline_p95_ms']} ms")
    lines = []
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-")))
        issuer = stack.enter_context(provider(afms, folder))
        runs = [(count, cached, 0.0) for cached in caches for count in workers]
        runs += [(max(workers), True, rate) for rate in rates]
        for count, cached, rate in runs:
            pace = f"paced at {rate:.0f}/s" if rate else "back to back"
            note(f"web: ledger serve --workers {count}, caches {'on' if cached else 'off'}; {len(afms)} sessions "
                 f"({auth}, {pace}) for {seconds:.0f}s ...")
            env = {} if cached else {"LEDGER_WEB_VIEW_CACHE": "0", "LEDGER_WEB_SESSION_CACHE_SECONDS": "0"}
            with server(url, issuer, count, folder, env, sampled) as (base, pid):
                figures = load(base, issuer, afms, seconds, auth, pid, rate)
            note(f"web: workers {count}, caches {'on' if cached else 'off'}, {pace}: {figures['per_s']}/s, "
                 f"p50 {figures.get('p50_ms')} p95 {figures.get('p95_ms')} p99 {figures.get('p99_ms')} ms, "
                 f"errors {figures['errors']}")
            met = (not figures["errors"] and figures["per_s"] >= TARGET_RPS
                   and figures.get("p95_ms", float("inf")) <= TARGET_P95_MS)
            line = result_line("web", figures["per_s"], "requests/s (debt table, 50 signed-in sessions)",
                        baseline["baseline_per_s"], TARGET_RPS, size=debtors, workers=count, sessions=len(afms),
                        caches="on" if cached else "off (LEDGER_WEB_VIEW_CACHE=0, LEDGER_WEB_SESSION_CACHE_SECONDS=0)",
                        load="back to back" if not rate else f"paced: {rate:.0f}/s offered (latency from when due)",
                        auth=auth, **figures, target_p95_ms=TARGET_P95_MS,
                        p95_ratio_to_baseline=round(figures["p95_ms"] / baseline["baseline_p95_ms"], 2)
                        if figures.get("p95_ms") else None,
                        baseline_is="ledger show debt-table --json's path in-process, sequential (reader.debt_table)",
                        **baseline, **extra, machine=machine())
            line["met"] = met  # both targets, and no errors
            print_line(line)
            lines.append(line)
    if any(not line["met"] for line in lines):
        note("web: the targets were not all met (see met)")
    return lines


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["provider"]:
        provider_main(argv[1])
        return
    if argv[:1] == ["serve-sampled"]:
        sampled_server(int(argv[1]))
        return
    if argv[:1] == ["drive"]:
        drive_main(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} debtors in a fresh schema, {QUICK_SECONDS:.0f}s")
    parser.add_argument("--debtors", type=int, help=f"the ledger's debtors (default {FULL}; quick {QUICK})")
    parser.add_argument("--seeded", metavar="SCHEMA",
                        help=f"the kept schema to serve (default {SEEDED}; seeded and kept if missing)")
    parser.add_argument("--seed", type=int, default=2556)
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--seconds", type=float, help=f"the timed window per worker count (default {SECONDS:.0f})")
    parser.add_argument("--workers", default="1,2", help="worker counts of ledger serve, one line each (default 1,2)")
    parser.add_argument("--auth", choices=["cookie", "bearer"], default="cookie",
                        help="sessions by the code flow's cookie (default) or bearer tokens")
    parser.add_argument("--caches", default="on,off",
                        help="the server's fast paths (ledger/entrypoints/http/fast.py): on, off, or on,off (a line each)")
    parser.add_argument("--rates", default=str(int(TARGET_RPS)),
                        help="then paced runs (the most workers, caches on): requests/s offered by the 50 sessions "
                             f"together, comma-separated (default {TARGET_RPS:.0f}; '' for none)")
    parser.add_argument("--baseline-seconds", type=float, default=None)
    parser.add_argument("--profile", action="store_true", help="pyinstrument over requests in-process; no server")
    parser.add_argument("--profile-requests", type=int, default=2000)
    parser.add_argument("--sample-server", action="store_true",
                        help="serve with one worker and a sampling profiler of all its threads (printed at the end)")
    args = parser.parse_args(argv)
    seconds = args.seconds or (QUICK_SECONDS if args.quick else SECONDS)
    baseline_s = args.baseline_seconds or (BASELINE_S / 2 if args.quick else BASELINE_S)
    with ledger_schema(args.quick, args.debtors, args.seeded, args.seed) as (schema, debtors):
        url = schema_url(schema)
        extra = catch_up(url)
        afms = sample_afms(debtors, args.sessions, args.seed)
        if args.profile:
            profile(url, afms, args.profile_requests)
            return
        measure(url, debtors, afms, [int(w) for w in args.workers.split(",")], seconds, args.auth, baseline_s,
                {"schema": schema, **extra}, tuple(c.strip() == "on" for c in args.caches.split(",")),
                args.sample_server, tuple(float(r) for r in args.rates.split(",") if r.strip()))


if __name__ == "__main__":
    main()
