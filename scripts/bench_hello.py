"""The baseline of scripts/bench: the smallest Flask app, served like Compte."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
