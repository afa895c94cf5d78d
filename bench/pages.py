"""The web pages' server time at national scale beside the JSON API's, and every page's weight.

``python -m bench.pages [--engines sqlite,postgresql] [--requests 400] [--clients 4] [--tickets 10000]
[--depots 300 --parts 50000 --units 2000000] [--page "a ticket" --page "stock, first page"]``

For each engine: the stock of `bench.scale_data` at the product's scale (SQLite: a working copy of the
cached file; PostgreSQL: a fresh database, dropped at the end), the real server on loopback (one uvicorn
process, ``ENVIRONMENT=production``), and the service desk's working set written through its JSON API
(`bench.page_data`: 10,000 open tickets with reservations across 100 customers and 660 sites, and a
committed 300-stop delivery plan for one depot's day), after which PostgreSQL's statistics are brought up
to date as its autovacuum would (`bench.stock.settle_statistics`). Every role signs in through
``POST /login`` with the form's CSRF token, as a browser does. Then each page and its JSON API equivalent
(the baseline) are asked ``--requests`` times each, after a warm-up, in alternating rounds of the same
run: first by one client at a time, so that each time is the server's time for that answer alone (the
goal's figure), then by ``--clients`` concurrent keep-alive clients, which keep the one process busy: those
times add each answer's wait behind the others' (about the number of clients times the CPU time of one
answer) and show how the process holds up when saturated. The times are measured at the client on loopback
(the app sends no ``Server-Timing``), with ``Accept-Encoding: gzip`` as a browser sends it; beside them,
the server process's CPU time per request (Linux's ``/proc``), which the clients' concurrency does not
inflate.

Last, the weight of every page of `api.pages` (each GET route, signed in as a role it admits): its HTML
and every static file it references (``<script src>``, ``<link href>``, ``<img src>``, and the files
their CSS names with ``url()``), each as the server sends it (gzip), summed; the offline basemap is left
out (the map fetches it, the page does not reference it). ``--page LABEL`` (repeated) times only the pages
named by their label in the results and weighs none.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import re
import secrets
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import uvloop

from api.web import CSRF_COOKIE
from api.web.sessions import SESSION_COOKIE
from bench.page_data import BOARD_DEPOT, Stock, Working, populate, read_stock
from bench.reservations import HttpClient
from bench.scale_data import Scale
from bench.stock import (
    BENCH_DIR,
    Timings,
    add_database_arguments,
    bearer_token,
    copy_postgres,
    create_user,
    parsed_engines,
    parsed_scale,
    print_engines,
    print_table,
    progress,
    reachable_engines,
    running_server,
    scale_database,
    server_cpu,
    server_environment,
    settle_statistics,
)

ROLES = ("warehouse", "dispatcher", "compliance", "customer", "admin")
"""The roles signed in, in the order a page's weight is measured as (the page's own role before admin)."""
USERS = {role: f"bench{role}" for role in ROLES}
GOAL_P95_MS = 100.0
GOAL_WEIGHT_KB = 300.0
ROUNDS = 4
"""A page and its baseline run in ``2 * ROUNDS`` alternating rounds (page, API, API, page, ...), so that
a drift in the machine's load hits both."""
BASEMAP = "/static/basemap/"
ACCEPT = {"Accept-Encoding": "gzip", "Accept": "text/html,application/json"}


@dataclass(frozen=True, slots=True)
class Options:
    scale: Scale
    engines: tuple[str, ...]
    requests: int
    warmup: int
    clients: int
    tickets: int
    postgres_url: str
    keep: Path | None = None
    """Where to copy the SQLite database with its working set, for profiling afterwards."""
    keep_postgres: str | None = None
    """The name of a copy of the PostgreSQL database with its working set, for profiling afterwards."""
    pages: frozenset[str] = frozenset()
    """The labels of the pages to time (empty: every page, and every page weighed)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A page as one role sees it, and the JSON API's equivalent (None: it has none)."""

    label: str
    role: str
    page: str
    api: str | None
    goal: bool
    """Held to `GOAL_P95_MS`."""
    htmx: bool = False
    """Asked as htmx asks a fragment (``HX-Request``), as the page's script does once it is shown."""


@dataclass(frozen=True, slots=True)
class Measured:
    """The answers' times and statuses (status 0: the connection failed)."""

    timings: Timings | None
    statuses: Counter[int]
    cpu_ms: float | None = None
    """The server process's CPU time per request (user and system), whatever the clients' concurrency:
    the work one answer costs; None where it cannot be read."""

    @property
    def failed(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 200)


@dataclass(frozen=True, slots=True)
class Pair:
    target: Target
    page: Measured
    api: Measured | None


@dataclass(frozen=True, slots=True)
class Weight:
    path: str
    role: str
    status: int
    html: int = 0
    """Bytes of the HTML as sent (gzip)."""
    assets: dict[str, int] = field(default_factory=dict)
    """Bytes of each referenced static file as sent, by address."""
    note: str = ""

    @property
    def total(self) -> int:
        return self.html + sum(self.assets.values())


@dataclass(frozen=True, slots=True)
class EngineResult:
    generation: str
    working: Working
    load: float
    floor: Measured
    pairs: list[Pair]
    """Each page and its baseline asked by ``--clients`` concurrent clients."""
    weights: list[Weight]
    alone: list[Pair] = field(default_factory=list)
    """Each page and its baseline asked by one client at a time: the server's time of an answer."""
    clients: int = 1
    """The concurrent clients of `pairs`."""


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    engines = reachable_engines(options.engines, options.postgres_url)
    results = {engine: bench_engine(engine, options) for engine in engines}
    print_results(options, results)
    return 0


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n")[0])
    add_database_arguments(parser, Scale())
    parser.add_argument("--requests", type=int, default=400, help="timed requests of each page and baseline")
    parser.add_argument("--warmup", type=int, default=40, help="untimed requests of each first")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--tickets", type=int, default=10_000, help="open tickets with reservations")
    parser.add_argument("--keep-sqlite", type=Path, help="copy the SQLite database here when done")
    parser.add_argument(
        "--keep-postgres", metavar="NAME", help="copy the PostgreSQL database as NAME when done (kept)"
    )
    parser.add_argument(
        "--page", action="append", default=[], help="time only this page, by label (repeatable); no weights"
    )
    args = parser.parse_args(argv)
    engines = parsed_engines(parser, args.engines)
    if args.requests < 2 * ROUNDS * args.clients or args.warmup < 0 or args.clients < 1 or args.tickets < 1:
        parser.error(f"--requests must be at least {2 * ROUNDS} x --clients; --clients, --tickets positive")
    return Options(
        scale=parsed_scale(args),
        engines=engines,
        requests=args.requests,
        warmup=args.warmup,
        clients=args.clients,
        tickets=args.tickets,
        postgres_url=args.postgres_url,
        keep=args.keep_sqlite,
        keep_postgres=args.keep_postgres,
        pages=frozenset(args.page),
    )


def bench_engine(engine: str, options: Options) -> EngineResult:
    """Generate the data, start the server, write the working set, sign in, then time and weigh."""
    with scale_database(engine, options.scale, options.postgres_url) as (url, generation):
        stock = read_stock(url)
        password = secrets.token_urlsafe(24)
        environment = {
            **server_environment(url),
            "SWEEP_INTERVAL_S": "0",
            "LOGIN_ATTEMPTS_PER_MINUTE": "1000",
            # Solves in a child process of the server, without a job queue's worker, on both engines.
            "BACKGROUND": "in-process",
            "WEB_CONCURRENCY": "1",
        }
        for role in ROLES:
            if role != "customer":
                create_user(environment, password, USERS[role], role)
        with (
            running_server(environment, BENCH_DIR / f"server-pages-{engine}.log") as base_url,
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            progress(engine, f"server up at {base_url}; writing {options.tickets:,} tickets through the API")
            working = runner.run(_populate(base_url, password, stock, options))
            settle_statistics(url)
            progress(
                engine,
                f"working set in {working.seconds:.0f} s: {working.tickets:,} tickets, "
                f"plan {working.plan_id} "
                f"with {working.plan_stops} stops ({working.plan_unassigned} unassigned) for "
                f"{working.board_date}",
            )
            create_user(environment, password, USERS["customer"], "customer", customer=working.customer_code)
            sessions = {role: sign_in(base_url, USERS[role], password) for role in ROLES}
            with httpx.Client(base_url=base_url, timeout=30.0) as client:
                tokens = {role: bearer_token(client, password, USERS[role]) for role in ROLES}
            load = os.getloadavg()[0]
            clients = _Clients(base_url, sessions, tokens, server_cpu(base_url))
            try:
                floor = runner.run(clients.measure(None, "/health", options.requests, options))
                chosen = chosen_targets(targets(working), options.pages)
                one = replace(options, clients=1)
                alone = [runner.run(clients.pair(target, one)) for target in chosen if options.clients > 1]
                pairs = [runner.run(clients.pair(target, options)) for target in chosen]
            finally:
                clients.close()
            weights = []
            if not options.pages:
                progress(engine, "weighing every page")
                weights = page_weights(base_url, sessions, working)
            if options.keep is not None and engine == "sqlite":
                _copy_sqlite(url, options.keep)
        if options.keep_postgres is not None and engine == "postgresql":
            copy_postgres(url, options.postgres_url, options.keep_postgres)
    return EngineResult(generation, working, load, floor, pairs, weights, alone, options.clients)


def _copy_sqlite(url: str, target: Path) -> None:
    """A consistent copy of a live SQLite database (the backup API)."""
    source, copy = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    progress("sqlite", f"kept the database as {target}")


async def _populate(base_url: str, password: str, stock: Stock, options: Options) -> Working:
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        token = bearer_token(client, password, USERS["admin"])
    http = HttpClient(base_url, token)
    try:
        return await populate(http, stock, tickets=options.tickets, seed=options.scale.seed)
    finally:
        http.close()


def chosen_targets(every: list[Target], labels: frozenset[str]) -> list[Target]:
    """The targets named by ``labels`` (all when empty).

    Raises:
        SystemExit: a label names no target.
    """
    unknown = labels - {target.label for target in every}
    if unknown:
        known = ", ".join(repr(target.label) for target in every)
        raise SystemExit(f"no page labelled {', '.join(sorted(map(repr, unknown)))}; the pages are {known}")
    return [target for target in every if not labels or target.label in labels]


def targets(working: Working) -> list[Target]:
    """The pages timed, each with its JSON equivalent: the home page of every role and the sign-in form
    (no equivalent), stock, tickets, a ticket and the dispatch board."""
    board = urlencode({"date": working.board_date.isoformat(), "depot": working.board_depot})
    ticket = working.ticket_id
    return [
        Target("sign-in form", "", "/login", None, goal=False),
        *(Target(f"home ({role})", role, "/", None, goal=False) for role in ROLES),
        Target("stock, first page", "warehouse", "/stock", "/api/v1/stock", goal=True),
        Target(
            f"stock at {BOARD_DEPOT}",
            "warehouse",
            f"/stock?depot={BOARD_DEPOT}",
            f"/api/v1/stock?depot={BOARD_DEPOT}",
            goal=True,
        ),
        Target("tickets, first page", "dispatcher", "/tickets", "/api/v1/tickets?status=open", goal=True),
        Target(
            "tickets of platinum customers",
            "dispatcher",
            "/tickets?tier=platinum",
            "/api/v1/tickets?status=open",
            goal=True,
        ),
        Target(
            "a unit's life",
            "warehouse",
            f"/stock/units/{working.serial}",
            f"/api/v1/stock/units/{working.serial}",
            goal=False,
        ),
        Target("pick list", "warehouse", "/reservations", None, goal=False),
        Target("a ticket", "dispatcher", f"/tickets/{ticket}", f"/api/v1/tickets/{ticket}", goal=True),
        Target(
            f"dispatch board, {BOARD_DEPOT}",
            "dispatcher",
            f"/dispatch?{board}",
            f"/api/v1/routing/plans/{working.plan_id}",
            goal=True,
        ),
        Target(
            f"dispatch board's stops, {BOARD_DEPOT}",
            "dispatcher",
            f"/dispatch/stops?{board}",
            f"/api/v1/routing/plans/{working.plan_id}",
            goal=True,
            htmx=True,
        ),
    ]


def sign_in(base_url: str, username: str, password: str) -> dict[str, str]:
    """Sign in through the form as a browser does: the form (and its CSRF cookie), then ``POST /login``
    with the form's token. The cookies of the session (read from the answers, since in production they
    are Secure and a client keeps those for HTTPS only).

    Raises:
        RuntimeError: the form or the sign-in failed.
    """
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        form = client.get("/login")
        cookies = _set_cookies(form)
        token = re.search(r'name="_csrf_token"\s+value="([^"]+)"', form.text)
        if form.status_code != 200 or token is None or CSRF_COOKIE not in cookies:
            raise RuntimeError(f"GET /login answered {form.status_code} without a CSRF token")
        answer = client.post(
            "/login",
            data={"_csrf_token": token.group(1), "username": username, "password": password, "next": "/"},
            headers={"Cookie": _cookie_header(cookies)},
        )
        if answer.status_code != 303 or SESSION_COOKIE not in _set_cookies(answer):
            raise RuntimeError(f"POST /login as {username} answered {answer.status_code}")
        return cookies | _set_cookies(answer)


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    pairs = (header.split(";", 1)[0].split("=", 1) for header in response.headers.get_list("set-cookie"))
    return {name.strip(): value.strip() for name, value in pairs}


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class _Clients:
    """Keep-alive clients per identity: a role's session cookie (pages), bearer token (API), or none."""

    def __init__(
        self,
        base_url: str,
        sessions: dict[str, dict[str, str]],
        tokens: dict[str, str],
        cpu: Callable[[], float] | None = None,
    ) -> None:
        self._base_url, self._sessions, self._tokens = base_url, sessions, tokens
        self._cpu = cpu
        self._open: dict[tuple[str, bool, bool], HttpClient] = {}

    def http(self, role: str, *, page: bool, htmx: bool = False) -> HttpClient:
        key = (role, page, htmx)
        if key not in self._open:
            if not role:
                self._open[key] = HttpClient(self._base_url, headers=ACCEPT)
            elif page:
                cookie = {"Cookie": _cookie_header(self._sessions[role])}
                fragment = {"HX-Request": "true"} if htmx else {}
                self._open[key] = HttpClient(self._base_url, headers={**ACCEPT, **cookie, **fragment})
            else:
                self._open[key] = HttpClient(self._base_url, self._tokens[role], headers=ACCEPT)
        return self._open[key]

    async def pair(self, target: Target, options: Options) -> Pair:
        """The page and its baseline in alternating rounds, after a warm-up of each."""
        sides = [(target.page, True)] + ([(target.api, False)] if target.api else [])
        for path, page in sides:
            await self._run(
                self.http(target.role, page=page, htmx=target.htmx), path, options.warmup, options.clients
            )
        per_round = max(options.clients, options.requests // (2 * ROUNDS))
        seconds: dict[bool, list[float]] = {True: [], False: []}
        statuses: dict[bool, Counter[int]] = {True: Counter(), False: Counter()}
        cpu: dict[bool, float] = {True: 0.0, False: 0.0}
        for number in range(2 * ROUNDS):
            for path, page in sides if number % 2 == 0 else sides[::-1]:
                before = self._cpu() if self._cpu else 0.0
                times, answers = await self._run(
                    self.http(target.role, page=page, htmx=target.htmx), path, per_round, options.clients
                )
                cpu[page] += (self._cpu() if self._cpu else 0.0) - before
                seconds[page] += times
                statuses[page].update(answers)
        measured = {
            page: _measured(
                seconds[page],
                statuses[page],
                cpu[page] * 1000 / max(statuses[page].total(), 1) if self._cpu else None,
            )
            for page in (True, False)
        }
        return Pair(target, measured[True], measured[False] if target.api else None)

    async def measure(self, role: str | None, path: str, requests: int, options: Options) -> Measured:
        http = self.http(role or "", page=False)
        await self._run(http, path, options.warmup, options.clients)
        return _measured(*await self._run(http, path, requests, options.clients))

    @staticmethod
    async def _run(
        http: HttpClient, path: str, requests: int, clients: int
    ) -> tuple[list[float], Counter[int]]:
        """``requests`` GETs of ``path`` shared by ``clients`` concurrent callers: each one's seconds (of
        the 200 answers) and every status."""
        left = requests
        seconds: list[float] = []
        statuses: Counter[int] = Counter()

        async def caller() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                started = time.perf_counter()
                try:
                    status, _ = await http.request("GET", path)
                except (OSError, ValueError, TimeoutError):
                    status = 0
                elapsed = time.perf_counter() - started
                statuses[status] += 1
                if status == 200:
                    seconds.append(elapsed)

        await asyncio.gather(*(caller() for _ in range(clients)))
        return seconds, statuses

    def close(self) -> None:
        for http in self._open.values():
            http.close()


def _measured(seconds: list[float], statuses: Counter[int], cpu_ms: float | None = None) -> Measured:
    return Measured(Timings(tuple(seconds)) if len(seconds) >= 2 else None, statuses, cpu_ms)


# --- page weight ---------------------------------------------------------------------------------------


def page_paths(working: Working) -> list[tuple[str, frozenset[str] | None]]:
    """Every GET route of the pages (`api.pages`), with its path parameters filled in from the working
    set where it knows them, and the roles its guard admits (None: anyone)."""
    from api.pages import page_modules

    values = {
        "ticket_id": str(working.ticket_id),
        "serial": working.serial,
        "plan_id": str(working.plan_id),
        "solve_id": str(working.solve_id),
        "transfer_id": str(working.transfer_id),
    }
    found = []
    for module in page_modules():
        for handler in module.ROUTES:
            if "GET" not in handler.http_methods:
                continue
            roles = None
            for guard in handler.guards or ():
                if hasattr(guard, "roles"):
                    roles = frozenset(str(role) for role in guard.roles)
            for path in sorted(handler.paths):
                filled = re.sub(
                    r"\{(\w+)(?::\w+)?\}", lambda match: values.get(match.group(1), match.group(0)), path
                )
                found.append((filled, roles))
    return sorted(set(found), key=lambda item: item[0])


def page_weights(base_url: str, sessions: dict[str, dict[str, str]], working: Working) -> list[Weight]:
    """The weight of every page, as the first role in `ROLES` its guard admits."""
    weights = []
    with httpx.Client(base_url=base_url, timeout=30.0, headers={"Accept-Encoding": "gzip"}) as client:
        for path, roles in page_paths(working):
            role = next((role for role in ROLES if roles is None or role in roles), None)
            if "{" in path or role is None:
                weights.append(Weight(path, role or "", 0, note="no value for its path parameter"))
                continue
            cookie = {} if roles is None else {"Cookie": _cookie_header(sessions[role])}
            weights.append(_weigh(client, path, role if roles else "anyone", cookie))
    return weights


def _weigh(client: httpx.Client, path: str, role: str, cookie: dict[str, str]) -> Weight:
    status, sent, body, kind = _fetch(client, path, cookie, html_only=True)
    if status != 200 or not kind.startswith("text/html"):
        return Weight(path, role, status, note=f"not a page ({status} {kind.split(';')[0]})")
    assets: dict[str, int] = {}
    pending = _references(body.decode("utf-8", errors="replace"), "text/html")
    while pending:
        address = pending.pop()
        if address in assets or not address.startswith("/static/") or address.startswith(BASEMAP):
            continue
        asset_status, asset_sent, asset_body, asset_kind = _fetch(client, address, {})
        if asset_status != 200:
            return Weight(path, role, status, sent, assets, note=f"{address} answers {asset_status}")
        assets[address] = asset_sent
        pending += _references(asset_body.decode("utf-8", errors="replace"), asset_kind, base=address)
    return Weight(path, role, status, sent, assets)


def _fetch(
    client: httpx.Client, path: str, headers: dict[str, str], *, html_only: bool = False
) -> tuple[int, int, bytes, str]:
    """The status, the bytes of the body as sent, the body decoded, and its content type; with
    ``html_only``, the body of HTML alone (not of a download such as a CSV export of all stock)."""
    with client.stream("GET", path, headers=headers) as response:
        kind = response.headers.get("content-type", "")
        if html_only and not kind.startswith("text/html"):
            return response.status_code, 0, b"", kind
        raw = b"".join(response.iter_raw())
        encoding = response.headers.get("content-encoding", "")
        body = gzip.decompress(raw) if encoding == "gzip" else raw
        return response.status_code, len(raw), body, kind


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {"script": "src", "link": "href", "img": "src"}
        wanted = dict(attrs).get(names.get(tag, ""))
        if wanted:
            self.found.append(wanted)


def _references(text: str, kind: str, base: str = "/") -> list[str]:
    """Local addresses an HTML page or a CSS file references (CSS: ``url()`` relative to ``base``)."""
    if kind.startswith("text/html"):
        parser = _References()
        parser.feed(text)
        addresses = parser.found
    elif kind.startswith("text/css"):
        addresses = [m.strip("'\" ") for m in re.findall(r"url\(([^)]+)\)", text)]
    else:
        return []
    local = []
    for address in addresses:
        if address.startswith(("data:", "http:", "https:", "//", "#")):
            continue
        absolute = httpx.URL(base).join(address) if not address.startswith("/") else httpx.URL(address)
        local.append(absolute.path + (f"?{absolute.query.decode()}" if absolute.query else ""))
    return local


# --- report ---------------------------------------------------------------------------------------------


def print_results(options: Options, results: dict[str, EngineResult]) -> None:
    print(
        f"\nPages: {options.scale}; {options.tickets:,} open tickets; {options.requests} requests of each "
        f"page and baseline after {options.warmup} warm-up, one client at a time (the server's time of an "
        f"answer, the goal's figure), then {options.clients} concurrent clients (a saturated process); one "
        f"server process; times at the client on loopback; {os.cpu_count()} CPU cores"
    )
    print_engines(results, _metrics, _verdict)
    for engine, result in results.items():
        if not result.weights:
            continue
        print(f"\nPage weight ({engine}): gzip as sent, HTML + referenced static files, basemap excluded")
        rows = [["page", "as", "HTML KB", "files", "static KB", "total KB", f"goal < {GOAL_WEIGHT_KB:g}"]]
        for weight in result.weights:
            if weight.status != 200:
                rows.append([weight.path, weight.role, "", "", "", "", weight.note])
                continue
            rows.append(
                [
                    weight.path,
                    weight.role,
                    _kb(weight.html),
                    str(len(weight.assets)),
                    _kb(sum(weight.assets.values())),
                    _kb(weight.total),
                    ("met" if weight.total < GOAL_WEIGHT_KB * 1024 else "MISSED")
                    + f" {weight.note}".rstrip(),
                ]
            )
        print_table(rows)
        break  # the same files on every engine; the HTML differs by a few bytes


def _kb(size: int) -> str:
    return f"{size / 1024:.1f}"


def _metrics(r: EngineResult) -> list[tuple[str, str, str]]:
    working = r.working
    rows = [
        ("stock data generation (s)", r.generation, ""),
        ("working set through the API (s)", f"{working.seconds:.0f}", ""),
        (
            "board plan: stops / unassigned",
            f"{working.plan_stops} / {working.plan_unassigned}",
            "",
        ),
        ("load average (1 min) before measuring", f"{r.load:.2f}", ""),
        ("GET /health p50 / p95 (ms)", _percentiles(r.floor, (50, 95)), ""),
    ]
    alone = {pair.target.label: pair for pair in r.alone}
    for pair in r.pairs:
        target = pair.target
        goal = f"p95 < {GOAL_P95_MS:g}" if target.goal else ""
        who = f" as {target.role}" if target.role else ""
        single = alone.get(target.label)
        if single is not None:
            rows.append(
                (f"{target.label}: {target.page}{who}, one at a time, p50 / p95 / p99 (ms)",
                 _percentiles(single.page), goal)
            )  # fmt: skip
            if single.api is not None:
                rows.append((f"  baseline {target.api}, one at a time (ms)", _percentiles(single.api), ""))
        rows.append(
            (f"{target.label}: {target.page}{who}, {r.clients} clients, p50 / p95 / p99 (ms)",
             _percentiles(pair.page), "" if single is not None else goal)
        )  # fmt: skip
        if pair.api is not None:
            rows.append((f"  baseline {target.api}, p50 / p95 / p99 (ms)", _percentiles(pair.api), ""))
            rows.append(("  page / baseline p95", _ratio(pair), ""))
        if pair.page.cpu_ms is not None:
            baseline = "" if pair.api is None or pair.api.cpu_ms is None else f" / {pair.api.cpu_ms:.1f}"
            rows.append(
                ("  server CPU per request, page" + (" / baseline" if baseline else "") + " (ms)",
                 f"{pair.page.cpu_ms:.1f}{baseline}", "")
            )  # fmt: skip
    return rows


def _percentiles(measured: Measured, percentiles: Sequence[int] = (50, 95, 99)) -> str:
    if measured.timings is None:
        return "not served: " + ", ".join(f"{status} x{n}" for status, n in sorted(measured.statuses.items()))
    text = " / ".join(f"{measured.timings.ms(p):.1f}" for p in percentiles)
    return text + (f" ({measured.failed} not 200)" if measured.failed else "")


def _ratio(pair: Pair) -> str:
    if pair.api is None or pair.page.timings is None or pair.api.timings is None:
        return ""
    return f"{pair.page.timings.ms(95) / pair.api.timings.ms(95):.1f}x"


def _verdict(r: EngineResult) -> str:
    """The goals: each page's p95 one at a time (the server's time; with the saturated process's p95
    beside it, not held to the goal), and the heaviest page's weight."""
    checks: list[tuple[str, Any]] = []
    loaded = {pair.target.label: pair.page.timings for pair in r.pairs}
    for pair in r.alone or r.pairs:
        if not pair.target.goal:
            continue
        timings = pair.page.timings
        if timings is None:
            checks.append((f"{pair.target.page} not served", "n/a"))
            continue
        name = f"{pair.target.page} p95 {timings.ms(95):.0f} ms"
        under_load = loaded.get(pair.target.label) if r.alone else None
        if under_load is not None:
            name += f" (with {r.clients} clients {under_load.ms(95):.0f} ms)"
        checks.append((name, timings.ms(95) < GOAL_P95_MS))
    pages = [weight for weight in r.weights if weight.status == 200]
    heaviest = max(pages, key=lambda weight: weight.total, default=None)
    if heaviest is not None:
        checks.append(
            (
                f"heaviest page {heaviest.path} {_kb(heaviest.total)} KB",
                heaviest.total < GOAL_WEIGHT_KB * 1024,
            )
        )
    return ", ".join(
        f"{name} {verdict if isinstance(verdict, str) else 'met' if verdict else 'MISSED'}"
        for name, verdict in checks
    )


if __name__ == "__main__":
    sys.exit(main())
