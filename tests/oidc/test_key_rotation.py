"""Key rotation with several instances behind one issuer: a rotated-in key is published
before it signs, so every token verifies with any instance's JWKS, during and after."""

from __future__ import annotations

import time

import requests
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.cli import main
from idp.core.cli import AppContext
from tests.oidc.conftest import callback_params
from tests.oidc.helpers import authorize_url, exchange, pkce


def _id_token(live_server, browser, person, rp) -> str:
    verifier, challenge = pkce()
    code = callback_params(browser.authorize(authorize_url(live_server, rp, challenge), person))
    answer = exchange(live_server, rp, code["code"], verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()["id_token"]


def _jwks(url: str) -> KeySet:
    return KeySet.import_key_set(requests.get(f"{url}/oauth/jwks", timeout=5).json())


def _rotate(app) -> None:
    context = AppContext()
    context._app = app  # the instance that rotates reloads its keys at once (worst case)
    result = CliRunner().invoke(main, ["keys", "rotate"], obj=context)
    assert result.exit_code == 0, result.output


def test_tokens_signed_right_after_a_rotation_verify_on_every_instance(
    app, live_server, second_instance, browser, person, rp
):
    """Instance B has cached its JWKS; `compte keys rotate` runs on instance A: every ID
    token A signs right after still verifies with B's JWKS (the new key only signs after
    the activation delay), and A already publishes the new keys."""
    first = _id_token(live_server, browser, person, rp)
    old_kid = jwt.decode(first, _jwks(second_instance.url)).header["kid"]
    _rotate(app)
    for _ in range(5):
        token = _id_token(live_server, browser, person, rp)
        assert jwt.decode(token, _jwks(second_instance.url)).header["kid"] == old_kid
    published = {key.kid for key in _jwks(live_server).keys}
    assert len(published) == 4 and old_kid in published


def test_after_the_activation_delay_the_new_key_signs_and_verifies_everywhere(
    app, live_server, second_instance, browser, person, rp
):
    """With a delay above the instances' check interval, once the new key signs, instance
    B already publishes it."""
    for instance in (app, second_instance.app):
        instance.config["OIDC_KEYS_CHECK_INTERVAL"] = 0.5
    app.config["OIDC_KEY_ACTIVATION_DELAY"] = 2
    old_kid = jwt.decode(_id_token(live_server, browser, person, rp), _jwks(live_server))
    _jwks(second_instance.url)  # B caches the keys before the rotation
    _rotate(app)
    deadline = time.monotonic() + 10
    while True:
        token = _id_token(live_server, browser, person, rp)
        kid = jwt.decode(token, _jwks(second_instance.url)).header["kid"]
        if kid != old_kid.header["kid"]:
            break
        assert time.monotonic() < deadline, "the new key never started signing"
        time.sleep(0.3)
