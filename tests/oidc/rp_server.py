"""A tiny relying-party endpoint for logout tests: records back-channel logout POSTs."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

# What a service's callback shows in the browser tests: a real (if tiny) page, so that the
# accessibility check of every visited page (tests/support/accessibility.py) holds here too.
_PAGE = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Service de test'
    "</title></head><body><main><h1>Service de test</h1><p>ok</p></main></body></html>"
)


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
        else:  # a callback or a front-channel frame: a small page a browser may show
            response = Response(_PAGE, mimetype="text/html")
        return response(environ, start_response)
