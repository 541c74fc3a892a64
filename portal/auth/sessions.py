"""Portal sessions: made by signing in or by the merchant's backend, kept server-side.

Session ids are stored only as keyed hashes. A one-time URL works once, within five minutes;
a session ends after an hour without activity and after two hours in any case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from portal import clock, i18n
from portal.auth import queries
from portal.db import Database, Row, new_id
from portal.errors import SessionEnded, SessionLinkNotAccepted, SignInRequired
from portal.merchant import queries as configurations
from portal.merchant.configuration import Configuration
from portal.security import keyed_hash, new_token
from portal.settings import Settings

COOKIE = "portal_session"
SESSION_URL_UNUSED = 5 * 60
SESSION_IDLE = 60 * 60
SESSION_LIFETIME = 2 * 60 * 60
SESSION_TOUCH_EVERY = 60


@dataclass(frozen=True)
class SignedIn:
    """A live session: who is signed in, under which configuration. Customer pages take the
    customer from here and nowhere else (no form field chooses it)."""

    id: str
    customer_id: str
    configuration: Configuration
    return_url: str | None
    preferred_locale: str | None  # the customer's own language
    by_email: bool  # signed in with a code sent by email (not opened from the merchant's API)
    flow: dict[str, Any] | None  # the task the merchant opened the session on (portal/flows.py)

    @classmethod
    def of(cls, row: Row) -> SignedIn:
        """From `queries.session_by_token`'s row (the session, its configuration, its
        customer's language)."""
        configuration = Configuration.of(queries.configuration_of(row))
        flow = row["flow"]
        coupon = flow.get("retention_coupon") if flow else None
        if coupon:  # the flow's retention offer replaces the configuration's
            features = configuration.features
            cancel = features.subscription_cancel.model_copy(update={"retention_coupon": coupon})
            configuration = replace(
                configuration,
                features=features.model_copy(update={"subscription_cancel": cancel}),
            )
        return cls(
            row["id"],
            row["customer_id"],
            configuration,
            row["return_url"],
            row["preferred_locale"],
            row["origin"] == "login_link",
            flow,
        )


def session_hash(settings: Settings, token: str) -> str:
    return keyed_hash(settings.secret_key, "session", token)


async def start(db: Database, settings: Settings, code: Row) -> str:
    """A session for the customer a login code was for; returns its token (the cookie)."""
    token = new_token()
    now = clock.timestamp()
    await queries.insert_session(
        db,
        id=new_id("bps"),
        token_hash=session_hash(settings, token),
        customer_id=code["customer_id"],
        configuration_id=code["configuration_id"],
        origin="login_link",
        locale=None,
        return_url=None,
        flow=None,
        opened_at=now,
        last_seen=now,
        created=now,
    )
    return token


class SessionRequestError(Exception):
    """A merchant's request for a session cannot be met (messages are for developers);
    `param` names the parameter at fault."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class NewSession:
    id: str
    url: str  # the one-time URL (valid 5 minutes)
    customer_id: str
    configuration_id: str
    return_url: str | None
    locale: str | None  # ours (`zh_Hans`), None for the customer's own
    flow: dict[str, Any] | None  # the task it opens on (api/flows.py)
    created: int


async def issue(
    db: Database,
    settings: Settings,
    *,
    customer_id: str,
    configuration_id: str | None = None,
    return_url: str | None = None,
    locale: str | None = None,
    livemode: bool | None = None,
    flow: Callable[[Configuration], Awaitable[dict[str, Any]]] | None = None,
) -> NewSession:
    """A merchant-created session (the command line's and the API's). With `livemode`, the
    customer and the configuration must be of that mode (an API key sees only its own);
    `flow` checks the task the session opens on against its configuration, and gives it."""
    if not await queries.customer_exists(db, customer_id, livemode):
        raise SessionRequestError(f"No such customer: '{customer_id}'", "customer")
    configuration = await (
        configurations.by_id(db, configuration_id)
        if configuration_id
        else configurations.default(db, livemode=livemode)
    )
    if (
        configuration is None
        or not configuration.active
        or (livemode is not None and configuration.livemode != livemode)
    ):
        raise SessionRequestError(
            f"No such active configuration: '{configuration_id}'"
            if configuration_id
            else "There is no default configuration",
            "configuration",
        )
    if return_url is not None and not return_url.startswith(("https://", "http://")):
        raise SessionRequestError("return_url must be an http(s) URL", "return_url")
    if locale is not None and locale != "auto" and i18n.match(locale) is None:
        raise SessionRequestError(
            f"Unsupported locale: {locale}; use one of " + ", ".join(i18n.LOCALES) + " or auto",
            "locale",
        )
    task = await flow(configuration) if flow is not None else None
    token = new_token()
    new = NewSession(
        id=new_id("bps"),
        url=f"{settings.base_url}/p/session/{token}",
        customer_id=customer_id,
        configuration_id=configuration.id,
        return_url=return_url or configuration.default_return_url,
        locale=None if locale in (None, "auto") else i18n.match(locale),
        flow=task,
        created=clock.timestamp(),
    )
    await queries.insert_session(
        db,
        id=new.id,
        token_hash=session_hash(settings, token),
        customer_id=customer_id,
        configuration_id=configuration.id,
        origin="api",
        return_url=new.return_url,
        locale=new.locale,
        flow=new.flow,
        opened_at=None,
        last_seen=None,
        created=new.created,
    )
    return new


async def open_url(db: Database, settings: Settings, url_token: str) -> tuple[Row, str]:
    """First visit of a one-time URL: the browser gets a new session id, the URL dies. A URL
    that cannot be opened says which configuration it was for, if it was never opened."""
    token = new_token()
    now = clock.timestamp()
    row = await queries.open_session(
        db,
        session_hash(settings, url_token),
        session_hash(settings, token),
        now,
        unused_since=now - SESSION_URL_UNUSED,
    )
    if row is None:
        stale = await queries.session_by_token(db, session_hash(settings, url_token))
        raise SessionLinkNotAccepted(
            configuration_id=stale["configuration_id"] if stale else None,
            return_url=stale["return_url"] if stale else None,
        )
    return row, token


def alive(session: Row, now: int) -> bool:
    return (
        session["ended_at"] is None
        and session["opened_at"] is not None
        and now - session["last_seen"] <= SESSION_IDLE
        and now - session["opened_at"] <= SESSION_LIFETIME
    )


async def signed_in(db: Database, settings: Settings, token: str | None) -> SignedIn:
    """The live session behind a cookie value, its last activity moved to now. SignInRequired
    without a cookie; SessionEnded (with its configuration) when it has ended."""
    if not token:
        raise SignInRequired()
    row = await queries.session_by_token(db, session_hash(settings, token))
    now = clock.timestamp()
    if row is None or not alive(row, now):
        raise SessionEnded(
            configuration_id=row["configuration_id"] if row else None,
            return_url=row["return_url"] if row else None,
        )
    if now - row["last_seen"] >= SESSION_TOUCH_EVERY:
        await queries.touch_session(db, row["id"], now)
    return SignedIn.of(row)


async def end(db: Database, settings: Settings, token: str | None) -> SignedIn | None:
    """Sign out: the session behind a cookie value ends, if it was live."""
    try:
        session = await signed_in(db, settings, token)
    except (SignInRequired, SessionEnded):
        return None
    await queries.end_session(db, session.id, clock.timestamp())
    return session
