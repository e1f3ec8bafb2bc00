"""``ledger serve``: the web service (interfaces §3), on uvicorn."""

from __future__ import annotations

import contextlib
import os
from typing import Annotated

import typer

from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import FLAG
from ledger.i18n import _


def serve(
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS", help=_("The address to listen on."))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", min=0, max=65535, help=_("The port."))] = 8000,
    workers: Annotated[int, typer.Option("--workers", metavar="N", min=1, max=64, help=_(
        "Worker processes (sessions are kept in the database, so any worker answers any request)."))] = 1,
    dev: Annotated[bool, typer.Option("--dev", metavar=FLAG, help=_(
        "Start a test OpenID Connect provider beside it on loopback, with a few of the ledger's debtors, an "
        "operator and an auditor to sign in as; loopback only, plain HTTP. Never in production."))] = False,
) -> None:
    import uvicorn

    from ledger.entrypoints.http import dev as dev_mode
    from ledger.entrypoints.http.app import create_app
    from ledger.entrypoints.http.config import WebConfig

    given: dict[str, object] = {}
    with contextlib.ExitStack() as stack:
        if dev:
            dev_mode.loopback_only(host)
            given["issuer"] = stack.enter_context(dev_mode.test_provider(dev_mode.dev_users(services.runner())))
            given["client_id"], given["client_secret"] = dev_mode.DEV_CLIENT, "dev-secret"
        config = WebConfig.from_environment(dev=dev, **given)
        typer.echo(_("serving {url} (the read models caught up in the background)").format(
            url=f"http://{host}:{port}/"), err=True)
        if dev:
            typer.echo(_("test identity provider: {issuer}").format(issuer=config.issuer), err=True)
        if workers == 1:
            uvicorn.run(create_app(services, config), host=host, port=port, proxy_headers=True, log_level="warning")
            return
        # Many processes: each builds its app from the environment (uvicorn's factory).
        os.environ.update({"LEDGER_DB_URL": services.url(), "LEDGER_OIDC_ISSUER": config.issuer,
                           "LEDGER_OIDC_CLIENT_ID": config.client_id, "LEDGER_OIDC_CLIENT_SECRET": config.client_secret,
                           "LEDGER_SESSION_SECRET": config.session_secret, "LEDGER_WEB_DEV": "1" if dev else ""})
        uvicorn.run("ledger.entrypoints.http.app:from_environment", factory=True, host=host, port=port,
                    workers=workers, proxy_headers=True, log_level="warning")


def register(cli: typer.Typer) -> None:
    cli.command("serve", help=_("The debtors' e-services and the staff's consoles over HTTP (interfaces §3); "
                                "identity from an OpenID Connect provider (LEDGER_OIDC_ISSUER, …).\n\n"
                                "ledger serve --dev opens the portal on this ledger with a test provider."))(serve)
