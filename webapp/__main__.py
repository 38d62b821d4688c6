"""Serves the demo page, the widget and the staff console.

Environment: STAFF_TOKEN (the console's token; unset = console off), DATABASE_URL (the
support desk's database, default sqlite support.db), RASA_INTERNAL_URL (Rasa as this server
reaches it, default http://127.0.0.1:$RASA_PORT, RASA_PORT default 5005) and RASA_API_TOKEN
(Rasa's --auth-token), for staff replies.
"""
import argparse
import logging

from aiohttp import web

from webapp.server import create_app
from webapp.staff_api import StaffConfig

parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__)
parser.add_argument("--port", type=int, default=8080)
parser.add_argument("--host", default="0.0.0.0")
parser.add_argument("--rasa-url", default="http://localhost:5005",
                    help="Rasa's address as the seller's browser reaches it")
args = parser.parse_args()
logging.basicConfig(level=logging.INFO)
staff = StaffConfig.from_env()
logging.getLogger("webapp").info("%s", staff)  # says whether the console is on, never the token
web.run_app(create_app(args.rasa_url, staff), host=args.host, port=args.port, print=None)
