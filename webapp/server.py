"""aiohttp app serving the demo page, the widget and its socket.io client from local files,
and the staff console (/staff) with its JSON API (/api, webapp/staff_api.py).

Nothing is loaded from another host: the socket.io client comes from `webapp/node_modules`
(installed by `make install` from the pinned package-lock.json); the console's charts are
inline SVG drawn by staff.js, and its Content-Security-Policy allows this origin only.
"""
import json
from pathlib import Path
from typing import Optional

from aiohttp import web

from webapp.staff_api import StaffConfig, add_staff_routes

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SOCKET_IO_CLIENT = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
CACHE_SHORT = {"Cache-Control": "no-cache"}
CONSOLE_HEADERS = {
    **CACHE_SHORT,
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def demo_page(rasa_url: str) -> str:
    """The demo seller page; the widget's config snippet points at this Rasa server."""
    config = json.dumps({"server": rasa_url}, ensure_ascii=False).replace("</", "<\\/")
    return (STATIC / "index.html").read_text("utf-8").replace("__WIDGET_CONFIG__", config)


def create_app(rasa_url: str, staff: Optional[StaffConfig] = None) -> web.Application:
    """`staff`: the console's token, database and Rasa API client (default: from the
    environment, see StaffConfig.from_env)."""
    app = web.Application(client_max_size=64 * 1024)

    page = demo_page(rasa_url)  # read once, not per request

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", headers=CACHE_SHORT)

    async def socket_io_client(_: web.Request) -> web.FileResponse:
        return web.FileResponse(SOCKET_IO_CLIENT, headers={
            "Content-Type": "application/javascript", "Access-Control-Allow-Origin": "*"})

    async def asset(request: web.Request) -> web.FileResponse:
        # widget files are fetched by seller sites on other origins
        path = STATIC / request.match_info["name"]
        return web.FileResponse(path, headers={**CACHE_SHORT, "Access-Control-Allow-Origin": "*"})

    async def console(_: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "staff.html", headers={
            **CONSOLE_HEADERS, "Content-Type": "text/html; charset=utf-8"})

    async def console_asset(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / request.match_info["name"], headers=CONSOLE_HEADERS)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def no_favicon(_: web.Request) -> web.Response:
        return web.Response(status=204)

    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", no_favicon)
    app.router.add_get("/health", health)
    app.router.add_get("/vendor/socket.io.min.js", socket_io_client)
    app.router.add_get(r"/{name:widget\.(js|css)}", asset)
    app.router.add_get("/staff", console)
    app.router.add_get(r"/{name:staff\.(js|css)}", console_asset)
    add_staff_routes(app, staff or StaffConfig.from_env())
    return app
