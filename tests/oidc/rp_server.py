"""A tiny relying-party endpoint for logout tests: records back-channel logout POSTs."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response


class LogoutRecorder:
    """WSGI app: POST /backchannel stores the logout_token; /fail answers 500."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.failures = 0

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/backchannel" and request.method == "POST":
            self.tokens.append(request.form.get("logout_token", ""))
            response = Response("", status=200, headers={"Cache-Control": "no-store"})
        elif request.path == "/fail":
            self.failures += 1
            response = Response("boom", status=500)
        else:
            response = Response("ok")
        return response(environ, start_response)
