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
def test_a_headless_browser_shows_the_app_and_takes_keys(server, tmp_path):
    """Headless Chromium over the DevTools protocol: the app draws (more than the loading splash), and l changes it."""
    import asyncio
    import base64

    aiohttp = pytest.importorskip("aiohttp")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    _, port = server()
    fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 30)
    debug = free_port()
    chrome = subprocess.Popen(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1000,700"]
        + [f"--remote-debugging-port={debug}", f"--user-data-dir={tmp_path / 'profile'}", f"http://127.0.0.1:{port}/"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    async def drive() -> tuple[bytes, bytes]:
        async with aiohttp.ClientSession() as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    async with client.get(f"http://127.0.0.1:{debug}/json") as response:
                        page = next(t for t in await response.json() if t["type"] == "page")
                    break
                except (aiohttp.ClientError, StopIteration):
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.3)
            async with client.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                ids = iter(range(1, 10_000))

                async def call(method: str, **params) -> dict:
                    n = next(ids)
                    await ws.send_json({"id": n, "method": method, "params": params})
                    while True:
                        message = await ws.receive_json(timeout=30)
                        if message.get("id") == n:
                            return message.get("result", {})

                async def shot() -> bytes:
                    return base64.b64decode((await call("Page.captureScreenshot", format="png"))["data"])

                before = await shot()
                deadline = time.monotonic() + 60
                while len(before) < 20_000 and time.monotonic() < deadline:  # the splash is a small, plain image
                    await asyncio.sleep(1)
                    before = await shot()
                for kind in ("mousePressed", "mouseReleased"):  # the terminal takes keys once focused
                    await call("Input.dispatchMouseEvent", type=kind, x=500, y=350, button="left", clickCount=1)
                for kind in ("keyDown", "keyUp"):
                    await call(
                        "Input.dispatchKeyEvent", type=kind, text="l", key="l", code="KeyL", windowsVirtualKeyCode=76
                    )
                after = before
                deadline = time.monotonic() + 20
                while after == before and time.monotonic() < deadline:
                    await asyncio.sleep(1)
                    after = await shot()
                return before, after

    try:
        before, after = asyncio.run(drive())
    finally:
        chrome.terminate()
        chrome.wait(timeout=10)
    (tmp_path / "portfolio.png").write_bytes(before)
    (tmp_path / "timeline.png").write_bytes(after)
    assert len(before) >= 20_000, "the app never drew beyond the loading splash"
    assert after != before  # l switched to the Timeline


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
