"""Load benchmark of the signed-in overview against a bare Starlette route, driven by `wrk`.

    .venv/bin/python -m tests.benchmark [--databases sqlite,postgresql] [--seconds 5] …

For each database: builds (or reuses) 100,000 customers with 10 invoices each, plus one with
10,000 invoices (tests/bench_data.py), serves the portal with one uvicorn process and, beside
it, a bare Starlette app rendering the overview's HTML from a template, then measures both
with `wrk` in alternating rounds (the same machine load for both). Prints req/s, p50/p99
latency, SQL statements per page and the ratio to the bare route, each the median of the
rounds; and the 10,000-invoice customer's pages over the 10-invoice customer's, the median
of the ratios of each round's two measurements, taken one after the other.

The bare app runs twice: as uvicorn runs it by default, which is how `portal serve` runs
the portal (with an access log line per request), and without the access log.

An in-process Python client saturates near 700 requests/s and hides the gap: wrk does not.
PostgreSQL is measured when it is reachable (`--postgresql-url`), SQLite always.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import select

from portal.app import create_app
from portal.auth import sessions
from portal.settings import Settings
from portal.tables import invoices
from tests import bench_data
from tests.conftest import SECRET, free_port

POSTGRESQL_URL = "postgresql://postgres@127.0.0.1:5432/portal_bench"
BARE_APP = """
from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
env = Environment(loader=FileSystemLoader({folder!r}), autoescape=True)
async def page(request):
    return HTMLResponse(env.get_template("page.html").render(title="Billing"))
app = Starlette(routes=[Route("/", page)])
"""
# wrk's summary as one JSON line (latencies in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50": %d, "p99": %d, "bad_status": %d, "socket": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Target:
    name: str
    url: str
    headers: list[str]
    statements: int | None = None


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float


class Wrk:
    def __init__(self, threads: int, connections: int) -> None:
        executable = shutil.which("wrk")
        if executable is None:
            sys.exit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
        self.executable = executable
        self.threads, self.connections = threads, connections
        self.script = Path(tempfile.mkdtemp(), "report.lua")
        self.script.write_text(WRK_REPORT)

    def run(self, target: Target, seconds: int) -> Result:
        args = [
            self.executable,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{seconds}s",
            "-s",
            str(self.script),
            "--timeout",
            "10s",
        ]
        for header in ["Accept-Encoding: gzip, deflate, br", *target.headers]:
            args += ["-H", header]
        done = subprocess.run([*args, target.url], capture_output=True, text=True, check=True)
        report = json.loads(done.stdout.strip().splitlines()[-1])
        if report["bad_status"] or report["socket"]:
            sys.exit(
                f"{target.name}: {report['bad_status']} answers not 2xx/3xx, "
                f"{report['socket']} socket errors\n{done.stdout}"
            )
        return Result(
            report["requests"] / report["seconds"], report["p50"] / 1000, report["p99"] / 1000
        )


async def _signed_in(
    settings: Settings, customer_id: str, path: str = "/p/"
) -> tuple[str, int, str]:
    """The Cookie header of a browser signed in as the customer (session and CSRF cookies),
    the SQL statements their page at `path` takes (counted in process, on a warm page) and
    the page's HTML."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        db = app.state.db
        url = (await sessions.issue(db, settings, customer_id=customer_id)).url
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            await client.get(url.removeprefix(settings.base_url))
            await client.get(path)
            before = db.query_count
            page = await client.get(path)
            assert page.status_code == 200, page.status_code
            cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
            return cookies, db.query_count - before, page.text


async def _deep_cursor(settings: Settings, customer_id: str, depth: int) -> str:
    """The id of the customer's invoice `depth` places from the newest: a cursor deep in
    their history."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        value = await app.state.db.fetch_val(
            select(invoices.c.id)
            .where(invoices.c.customer_id == customer_id)
            .order_by(invoices.c.created.desc(), invoices.c.id.desc())
            .offset(depth)
            .limit(1)
        )
        return str(value)


def _serve(args: list[str], env: dict[str, str], probe: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            httpx.get(probe, timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    sys.exit(f"the server did not start: {' '.join(args)}")


def _targets(settings: Settings, folder: str, bare_url: str, quiet_url: str) -> list[Target]:
    typical, typical_sql, page = asyncio.run(_signed_in(settings, "cus_b777"))
    heavy, heavy_sql, _ = asyncio.run(_signed_in(settings, "cus_b0"))
    _, typical_list_sql, _ = asyncio.run(_signed_in(settings, "cus_b777", "/p/invoices/"))
    _, heavy_list_sql, _ = asyncio.run(_signed_in(settings, "cus_b0", "/p/invoices/"))
    deep = f"/p/invoices/?starting_after={asyncio.run(_deep_cursor(settings, 'cus_b0', 8000))}"
    _, deep_list_sql, _ = asyncio.run(_signed_in(settings, "cus_b0", deep))
    # The last page holds the history's last 10 invoices: as many rows as the typical page.
    last = f"/p/invoices/?starting_after={asyncio.run(_deep_cursor(settings, 'cus_b0', 9999))}"
    _, last_list_sql, _ = asyncio.run(_signed_in(settings, "cus_b0", last))
    Path(folder, "page.html").write_text(page.replace("{", "{{ '{' }}"))
    Path(folder, "bare.py").write_text(BARE_APP.format(folder=folder))
    stylesheet = LexborHTMLParser(page).css_first("link[rel=stylesheet]")
    assert stylesheet is not None, "the overview links no stylesheet"
    css = stylesheet.attributes["href"]
    overview = f"{settings.base_url}/p/"
    return [
        Target("bare Starlette, same HTML", bare_url, [], 0),
        Target("bare, no access log", quiet_url, [], 0),
        Target("overview, 10 invoices (typical)", overview, [f"Cookie: {typical}"], typical_sql),
        Target("overview, 10,000 invoices", overview, [f"Cookie: {heavy}"], heavy_sql),
        Target(
            "invoice list, 10 invoices",
            f"{overview}invoices/",
            [f"Cookie: {typical}"],
            typical_list_sql,
        ),
        Target(
            "invoice list, 10,000 invoices",
            f"{overview}invoices/",
            [f"Cookie: {heavy}"],
            heavy_list_sql,
        ),
        Target(
            "invoice list, 10,000 invoices, page 401",
            f"{settings.base_url}{deep}",
            [f"Cookie: {heavy}"],
            deep_list_sql,
        ),
        Target(
            "invoice list, 10,000 invoices, last (10 rows)",
            f"{settings.base_url}{last}",
            [f"Cookie: {heavy}"],
            last_list_sql,
        ),
        Target(f"static {css}", f"{settings.base_url}{css}", [], 0),
    ]


def measure(url: str, options: argparse.Namespace, wrk: Wrk) -> None:
    print(
        f"\n== {url.split('://')[0]}: {options.customers:,} customers with "
        f"{bench_data.INVOICES} invoices + one with {bench_data.HEAVY_INVOICES:,}, "
        f"{bench_data.ensure(url, options.customers)}"
    )
    port, bare_port, quiet_port = free_port(), free_port(), free_port()
    settings = Settings(database_url=url, secret_key=SECRET, base_url=f"http://127.0.0.1:{port}")
    folder = tempfile.mkdtemp()
    targets = _targets(
        settings, folder, f"http://127.0.0.1:{bare_port}/", f"http://127.0.0.1:{quiet_port}/"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "BASE_URL": settings.base_url,
        "PYTHONPATH": folder,
    }
    env.pop("DEBUG", None)
    servers = [
        _serve(
            [sys.executable, "-m", "portal", "serve", "--port", str(port)], env, targets[-1].url
        ),
        # Served as `portal serve` serves the portal: uvicorn's defaults, access log included
        # (it costs a quarter of the bare route's time); and once more without it.
        _serve(
            [sys.executable, "-m", "uvicorn", "bare:app", "--port", str(bare_port)],
            env,
            targets[0].url,
        ),
        _serve(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bare:app",
                "--port",
                str(quiet_port),
                "--no-access-log",
            ],
            env,
            targets[1].url,
        ),
    ]
    try:
        for target in targets:
            wrk.run(target, options.seconds)  # an untimed round: caches, plans, the CPU's pace
        rounds: dict[str, list[Result]] = {target.name: [] for target in targets}
        for _ in range(options.rounds):
            for target in targets:
                rounds[target.name].append(wrk.run(target, options.seconds))
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=10)
    _report(targets, rounds)


def _median(results: list[Result]) -> Result:
    return sorted(results, key=lambda result: result.rps)[len(results) // 2]


def _report(targets: list[Target], rounds: dict[str, list[Result]]) -> None:
    bare = _median(rounds[targets[0].name]).rps
    quiet = _median(rounds[targets[1].name]).rps
    print(
        f"{'page':44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'SQL':>4} {'× bare':>7} "
        f"{'× no log':>8}"
    )
    for target in targets:
        result = _median(rounds[target.name])
        print(
            f"{target.name[:44]:44} {result.rps:7.0f} {result.p50_ms:7.1f} "
            f"{result.p99_ms:7.1f} {target.statements:4} {result.rps / bare:7.2f} "
            f"{result.rps / quiet:8.2f}"
        )

    def paired(heavy: Target, typical: Target) -> str:
        """The median over rounds of one page's req/s over another's, each pair measured
        one after the other (what the machine does meanwhile weighs on both)."""
        ratios = sorted(
            a.rps / b.rps for a, b in zip(rounds[heavy.name], rounds[typical.name], strict=True)
        )
        return f"{ratios[len(ratios) // 2]:.2f} ({', '.join(f'{r:.2f}' for r in ratios)})"

    print(
        f"10,000 invoices / 10, median of {len(rounds[targets[0].name])} paired rounds:\n"
        f"  overview {paired(targets[3], targets[2])}\n"
        f"  invoice list, first page (20 rows / 10 rows) {paired(targets[5], targets[4])}\n"
        f"  invoice list, page 401 / first page {paired(targets[6], targets[5])}\n"
        f"  invoice list, last page (10 rows / 10 rows) {paired(targets[7], targets[4])}\n"
        f"load average {os.getloadavg()[0]:.2f}"
    )


def _reachable(url: str) -> bool:
    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect(url, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError):
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="which to measure, comma-separated (default: both)",
    )
    parser.add_argument(
        "--sqlite-url", default=f"sqlite:///{Path('var/bench/bench.sqlite3').resolve()}"
    )
    parser.add_argument(
        "--postgresql-url",
        default=POSTGRESQL_URL,
        help="a database of its own: the benchmark replaces its contents",
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=5, help="per page and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    options = parser.parse_args()
    wrk = Wrk(options.threads, options.connections)
    print(
        f"wrk -t{options.threads} -c{options.connections}, {options.seconds:g} s per page "
        f"and round; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
    )
    for name in options.databases.split(","):
        if name == "sqlite":
            measure(options.sqlite_url, options, wrk)
        elif _reachable(options.postgresql_url):
            measure(options.postgresql_url, options, wrk)
        else:
            print(f"\n== postgresql: {options.postgresql_url} is not reachable, skipped")


if __name__ == "__main__":
    main()
