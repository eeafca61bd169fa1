"""`teamcast serve`: the app's page over HTTP on loopback, the token, refusing a public address, read-only saves."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.tui.app import TeamcastApp

pytest.importorskip("textual_serve")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, deadline: float) -> tuple[int, str]:
    """GET `url`, retrying while the server starts, until `deadline` (time.monotonic)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def server(demo_db):
    started: list[subprocess.Popen] = []

    def start(*args: str) -> tuple[subprocess.Popen, int]:
        port = free_port()
        cmd = [sys.executable, "-m", "teamcast.engine.commands.cli", "serve", str(demo_db), "--port", str(port)]
        process = subprocess.Popen([*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process, port

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_prints_the_url_and_serves_the_page(server):
    process, port = server()
    status, page = fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 30)
    assert status == 200
    assert "teamcast" in page  # the page's title
    assert f"ws://127.0.0.1:{port}/ws" in page  # the terminal's websocket, on the same loopback address
    process.terminate()
    _, err = process.communicate(timeout=10)
    assert f"open http://127.0.0.1:{port}/ (read-only" in err


def test_a_token_guards_the_page(server):
    _, port = server("--token", "s3cret")
    status, _ = fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 30)
    assert status == 403
    status, page = fetch(f"http://127.0.0.1:{port}/?token=s3cret", time.monotonic() + 5)
    assert status == 200 and "/ws" in page


def test_a_public_address_needs_public_and_gets_a_token(demo_db):
    runner = CliRunner()
    result = runner.invoke(main, ["serve", str(demo_db), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--public" in result.stderr
    missing = runner.invoke(main, ["serve", str(demo_db.with_name("nope.db"))])
    assert missing.exit_code != 0 and "nope.db" in missing.stderr


async def test_read_only_app_refuses_saves(demo_db, settle):
    app = TeamcastApp(demo_db, trials=256, seed=0, read_only=True)
    notes: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(message), notify(message, **kw))[1]  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        version = app.row_version("tasks", "fraud-shadow")
        assert not app.save_row("tasks", "fraud-shadow", {"est_likely": 30.0, "est_high": 40.0}, version)
        assert not app.save_answers({})
        assert sum("read-only" in note for note in notes) == 2
        assert app.workspace.row_version("tasks", "fraud-shadow") == version  # nothing written


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")), reason="no headless browser here"
)
def test_a_headless_browser_shows_the_app(server, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    _, port = server()
    fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 30)
    shot = tmp_path / "serve.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--virtual-time-budget=8000", f"--screenshot={shot}"]
        + ["--window-size=1200,800", f"http://127.0.0.1:{port}/"],
        capture_output=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 5000


def test_the_websocket_runs_the_app(server):
    """What the browser's terminal does: open the websocket, read the app's screen, press l for the Timeline."""
    import asyncio

    aiohttp = pytest.importorskip("aiohttp")
    _, port = server()
    fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 30)

    async def session() -> str:
        seen = ""
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30") as ws:
                deadline = time.monotonic() + 60
                pressed = False
                while time.monotonic() < deadline and "Priya Natarajan" not in seen:
                    try:
                        message = await ws.receive(timeout=2)
                    except TimeoutError:
                        message = None
                    if message is not None and message.type == aiohttp.WSMsgType.BINARY:
                        seen += message.data.decode("utf-8", "replace")
                    elif message is not None and message.type == aiohttp.WSMsgType.TEXT:
                        seen += message.data
                    if not pressed and "Northwind" in seen:
                        await ws.send_json(["stdin", "l"])  # the Timeline's key
                        pressed = True
        return seen

    seen = asyncio.run(session())
    assert "Northwind" in seen and "Priya Natarajan" in seen
