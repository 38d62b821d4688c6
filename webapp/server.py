"""aiohttp app serving the demo page, the widget and its socket.io client from local files.

Nothing is loaded from another host: the socket.io client comes from `webapp/node_modules`
(installed by `make install` from the pinned package-lock.json).
"""
import json
from pathlib import Path

from aiohttp import web

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SOCKET_IO_CLIENT = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
CACHE_SHORT = {"Cache-Control": "no-cache"}


def demo_page(rasa_url: str) -> str:
    """The demo seller page; the widget's config snippet points at this Rasa server."""
    config = json.dumps({"server": rasa_url}, ensure_ascii=False).replace("</", "<\\/")
    return (STATIC / "index.html").read_text("utf-8").replace("__WIDGET_CONFIG__", config)


def create_app(rasa_url: str) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=demo_page(rasa_url), content_type="text/html", headers=CACHE_SHORT)

    async def socket_io_client(_: web.Request) -> web.FileResponse:
        return web.FileResponse(SOCKET_IO_CLIENT, headers={
            "Content-Type": "application/javascript", "Access-Control-Allow-Origin": "*"})

    async def asset(request: web.Request) -> web.FileResponse:
        # widget files are fetched by seller sites on other origins
        path = STATIC / request.match_info["name"]
        return web.FileResponse(path, headers={**CACHE_SHORT, "Access-Control-Allow-Origin": "*"})

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def no_favicon(_: web.Request) -> web.Response:
        return web.Response(status=204)

    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", no_favicon)
    app.router.add_get("/health", health)
    app.router.add_get("/vendor/socket.io.min.js", socket_io_client)
    app.router.add_get(r"/{name:widget\.(js|css)}", asset)
    return app
