"""The application: routes, middleware, lifespan and the error handler."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from functools import cache

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from portal import assets, mail, test_clock
from portal.account.routes import routes as account_routes
from portal.api.routes import routes as api_routes
from portal.auth.routes import routes as auth_routes
from portal.billing_details.routes import routes as billing_details_routes
from portal.cancellation.routes import routes as cancellation_routes
from portal.db import Database
from portal.dev.routes import routes as dev_routes
from portal.errors import PortalError
from portal.invoices.routes import routes as invoice_routes
from portal.payment_methods.routes import routes as payment_method_routes
from portal.payments import processor
from portal.request_guard import RequestGuard
from portal.settings import Settings
from portal.subscriptions.routes import routes as subscription_routes
from portal.web.errors import handle_error


async def _follow_test_clock(db: Database) -> None:
    """Debug only: `portal clock advance` in another process moves this one's clock too."""
    while True:
        await asyncio.sleep(1)
        with contextlib.suppress(Exception):
            await test_clock.sync(db)


@cache
def _freeze_startup_heap() -> None:
    """Once per process: a full garbage collection scans every object the process holds,
    mostly the modules and data loaded at startup, which live as long as it does. Under load
    those collections paused the server for up to 80 ms (the overview's p99); moved out of
    the collector's sight after one last collection, they are never scanned again."""
    gc.collect()
    gc.freeze()


def _routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        # What customers see: the login links, one-time session URLs and their pages.
        Mount(
            "/p",
            routes=[
                *auth_routes,
                *account_routes,
                *payment_method_routes,
                *invoice_routes,
                *billing_details_routes,
                Mount(
                    "/subscriptions/{subscription_id}",
                    name="subscriptions",
                    routes=[*subscription_routes, *cancellation_routes],
                ),
            ],
        ),
        # The merchant's backend: Stripe's billing-portal API, authenticated by secret key.
        Mount("/v1", routes=api_routes, name="api"),
        # Static files only are compressed: pages carry CSRF tokens next to what the visitor
        # typed, which compression would leak to an eavesdropper (BREACH).
        Mount("/static/vendor/htmx", assets.of("htmx"), name="htmx"),
        Mount("/static", assets.of("static"), name="static"),
    ]
    routes.extend(processor.routes_for(settings))
    if settings.debug:
        routes.append(Mount("/dev", routes=dev_routes, name="dev"))
    return routes


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    db = Database(settings.database_url)
    if settings.debug:
        assets.Assets.watch = True

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.connect()
        _freeze_startup_heap()
        # Without SMTP_URL the sender still erases expired sign-in codes from the outbox.
        tasks = [asyncio.create_task(mail.run_sender(db, settings, app.state.mail_wake))]
        if settings.debug:
            await test_clock.sync(db)
            tasks.append(asyncio.create_task(_follow_test_clock(db)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await processor.close(settings)
            await db.disconnect()

    app = Starlette(
        routes=_routes(settings),
        middleware=[
            # One layer: the language (refusals are pages in it too), headers, CSRF, body cap.
            Middleware(
                RequestGuard,
                secret_key=settings.secret_key,
                base_url=settings.base_url,
                max_body_bytes=settings.max_body_bytes,
                signed_paths=processor.signed_paths(settings),
            ),
        ],
        exception_handlers={
            PortalError: handle_error,
            HTTPException: handle_error,
            Exception: handle_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.mail_wake = asyncio.Event()
    return app
