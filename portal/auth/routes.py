"""Sign-in pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.auth import service
from portal.errors import LoginLinkNotFound
from portal.merchant import queries as configurations
from portal.templating import render


async def login_page(request: Request) -> Response:
    configuration = await configurations.by_login_link(
        request.app.state.db, request.path_params["link_id"])
    if configuration is None:
        raise LoginLinkNotFound()
    request.state.configuration = configuration
    email = service.prefilled_email(request.query_params.get("prefilled_email"))
    return render(request, "auth/login.html", {"email": email})


routes = [
    Route("/p/login/{link_id}", login_page, methods=["GET"], name="auth:login"),
]
