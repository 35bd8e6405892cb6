"""Run one demo service: `python -m clients.<name> --port N` (used by scripts/demo)."""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from clients.common import ROOT

CREDENTIALS = ROOT / "instance" / "demo-clients.json"


def settings_for(
    name: str, *, port: int, host: str, issuer: str, credentials: Path
) -> dict[str, Any]:
    """The service's settings: its client credentials from `credentials` (written by
    `python -m clients.demo register`), overridable by <NAME>_CLIENT_ID / _CLIENT_SECRET."""
    stored: dict[str, Any] = {}
    if credentials.exists():
        stored = json.loads(credentials.read_text()).get(name, {})
    prefix = name.upper()
    settings = {
        "ISSUER": issuer,
        "BASE_URL": os.environ.get(f"{prefix}_BASE_URL", f"http://{host}:{port}"),
        "CLIENT_ID": os.environ.get(f"{prefix}_CLIENT_ID", stored.get("client_id")),
        "CLIENT_SECRET": os.environ.get(f"{prefix}_CLIENT_SECRET", stored.get("client_secret")),
    }
    if not settings["CLIENT_ID"]:
        raise SystemExit(
            f"{name}: no client credentials in {credentials}; run scripts/demo "
            "(or python -m clients.demo register) first."
        )
    return settings


def main(name: str, create_app: Callable[[dict], Flask], default_port: int) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m clients.{name}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument(
        "--issuer", default=os.environ.get("COMPTE_ISSUER", "http://localhost:5000")
    )
    parser.add_argument("--credentials", type=Path, default=CREDENTIALS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    app = create_app(
        settings_for(
            name, port=args.port, host=args.host, issuer=args.issuer, credentials=args.credentials
        )
    )
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
