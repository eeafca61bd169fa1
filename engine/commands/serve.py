"""`teamcast serve`: the terminal app in a browser (textual-serve), read-only unless --edit.

It binds to localhost by default. Any other address needs --public, and then every page and
websocket must carry a token (given with --token, or made up and printed in the URL), because
textual-serve itself has no authentication.
"""

from __future__ import annotations

import click

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def make_server(command: str, host: str, port: int, token: str | None, note: str):
    """A textual-serve Server that checks `token` (query ?token= once, then a cookie) when one is set."""
    from aiohttp import web
    from textual_serve.server import Server

    class TeamcastServer(Server):
        async def handle_index(self, request: web.Request):
            if token is not None and request.query.get("token") != token:
                raise web.HTTPForbidden(text="teamcast serve: this address needs ?token=TOKEN\n")
            response = await super().handle_index(request)
            if token is not None:
                response.set_cookie("teamcast_token", token, httponly=True, samesite="Strict")
            return response

        async def handle_websocket(self, request: web.Request):
            if token is not None and request.cookies.get("teamcast_token") != token:
                raise web.HTTPForbidden(text="teamcast serve: no token\n")
            return await super().handle_websocket(request)

        async def on_startup(self, app: web.Application) -> None:
            url = f"{self.public_url}/" + (f"?token={token}" if token else "")
            click.echo(f"teamcast serve: open {url} ({note}; Ctrl+C stops)", err=True)

    return TeamcastServer(command, host=host, port=port, title="teamcast")


@click.command()
@click.argument("workspace", required=False, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--edit", is_flag=True, help="Allow saving edits, answers and what-ifs (default: read-only).")
@click.option("--public", is_flag=True, help="Allow an address other than localhost (needs a token).")
@click.option("--token", default=None, envvar="TEAMCAST_SERVE_TOKEN", help="Token a browser must present.")
def serve(workspace: str | None, host: str, port: int, edit: bool, public: bool, token: str | None) -> None:
    """Serve the app over WORKSPACE (default ./teamcast.db) to a web browser; read-only unless --edit.

    \b
    Examples:
      teamcast serve team.db                      # http://127.0.0.1:8000/, read-only
      teamcast serve team.db --port 8080 --edit   # saves allowed
      teamcast serve team.db --host 0.0.0.0 --public --token "$TOKEN"
    """
    import shlex
    import sys
    from pathlib import Path

    from teamcast.errors import UsageError, WorkspaceError

    path = Path(workspace or "teamcast.db")
    if not path.exists():
        raise WorkspaceError(f"{path} does not exist; create it with `teamcast init {path}`")
    if host not in LOCAL_HOSTS:
        if not public:
            raise UsageError(f"--host {host} is not local: add --public (and a --token) to serve beyond this machine")
        if not token:
            import secrets

            token = secrets.token_urlsafe(16)
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        raise UsageError("serving needs textual-serve: pip install 'teamcast[serve]'") from None
    command = f"{shlex.quote(sys.executable)} -m teamcast.tui.serve {shlex.quote(str(path.resolve()))}"
    command += " --edit" if edit else ""
    note = "edits are saved" if edit else "read-only"
    make_server(command, host, port, token, note).serve()


commands = [serve]
