import argparse
import logging

from aiohttp import web

from webapp.server import create_app

parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__)
parser.add_argument("--port", type=int, default=8080)
parser.add_argument("--host", default="0.0.0.0")
parser.add_argument("--rasa-url", default="http://localhost:5005",
                    help="Rasa's address as the seller's browser reaches it")
args = parser.parse_args()
logging.basicConfig(level=logging.INFO)
web.run_app(create_app(args.rasa_url), host=args.host, port=args.port, print=None)
