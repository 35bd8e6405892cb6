"""Key rotation: a rotated-in key is published before it signs (`compte keys rotate`,
`compte keys list`), the old key stays published, and with several instances behind one
issuer every token verifies with any instance's JWKS, during and after."""

from __future__ import annotations

import time
from datetime import UTC

import requests
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.cli import main
from idp.core.cli import AppContext
from tests.oidc.conftest import callback_params
from tests.oidc.helpers import authorize_url, browser_tokens, exchange, jwks_of, pkce


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


def test_key_rotation_keeps_the_old_key_published(app, live_server, browser, person, rp):
    """After `rotate_keys`, new tokens use a new kid and the old key stays in JWKS so that
    tokens it signed still validate."""
    from idp.oidc.keys import rotate_keys

    before = browser_tokens(live_server, browser, person, rp)
    old_kid = jwt.decode(before["id_token"], jwks_of(live_server)).header["kid"]
    with app.app_context():
        rotate_keys(immediately=True)
    after = browser_tokens(live_server, browser, person, rp)
    jwks = jwks_of(live_server)
    new_kid = jwt.decode(after["id_token"], jwks).header["kid"]
    assert new_kid != old_kid
    assert jwt.decode(before["id_token"], jwks).claims["sub"] == person.sub
    kids = {k["kid"] for k in requests.get(f"{live_server}/oauth/jwks", timeout=5).json()["keys"]}
    assert {old_kid, new_kid} <= kids


def test_keys_rotate_and_list_commands(app):
    """`compte keys rotate` publishes a new key per algorithm that signs only after the
    activation delay, which `compte keys list` shows; `--now` signs at once."""
    from click.testing import CliRunner

    from idp.cli import main
    from idp.core.cli import AppContext
    from idp.oidc.keys import keyring

    ctx = AppContext()
    ctx._app = app
    with app.app_context():
        before = {alg: k.kid for alg, k in keyring().signing.items()}
    result = CliRunner().invoke(main, ["keys", "rotate"], obj=ctx)
    assert result.exit_code == 0, result.output
    assert result.output.count("signs from") == 2
    with app.app_context():
        ring = keyring()
        assert {alg: k.kid for alg, k in ring.signing.items()} == before
        assert len(ring.public.keys) == 4
    listing = CliRunner().invoke(main, ["keys", "list"], obj=ctx).output
    assert "Activation delay of a rotation: 60 s" in listing
    assert listing.count("published, signs from") == 2 and listing.count("signing until") == 2

    result = CliRunner().invoke(main, ["keys", "rotate", "--now"], obj=ctx)
    assert result.exit_code == 0, result.output
    with app.app_context():
        after = {alg: k.kid for alg, k in keyring().signing.items()}
    assert after.keys() == before.keys() and not set(after.values()) & set(before.values())


def test_new_keys_are_published_before_they_sign(app, live_server, browser, person, rp):
    """A rotated-in key appears in JWKS at once while the previous key keeps signing; once
    the activation delay has passed, ID tokens carry the new key's kid."""
    from idp.oidc.keys import rotate_keys

    app.config["OIDC_KEY_ACTIVATION_DELAY"] = 2
    old_kid = jwt.decode(
        browser_tokens(live_server, browser, person, rp)["id_token"], jwks_of(live_server)
    ).header["kid"]
    with app.app_context():
        new_kids = {k.kid for k in rotate_keys()}
    published = {
        k["kid"] for k in requests.get(f"{live_server}/oauth/jwks", timeout=5).json()["keys"]
    }
    assert new_kids <= published and old_kid in published
    during = jwt.decode(
        browser_tokens(live_server, browser, person, rp)["id_token"], jwks_of(live_server)
    )
    assert during.header["kid"] == old_kid
    time.sleep(3.2)  # the delay, rounded up to a whole second, then some
    after = jwt.decode(
        browser_tokens(live_server, browser, person, rp)["id_token"], jwks_of(live_server)
    )
    assert after.header["kid"] in new_kids


def test_a_token_is_signed_by_the_key_in_use_at_its_iat(app):
    """The key is chosen for the token's `iat`, whatever the clock says when it is signed:
    a request under way at an activation signs with the old key only an iat before it,
    so an iat always falls in its key's window. Activation times are whole seconds, and
    never before the activation delay has passed."""
    from idp.oidc.keys import keyring, rotate_keys, sign

    with app.app_context():
        old = keyring().signing["RS256"].kid
        rotated_at = time.time()
        new = next(key for key in rotate_keys() if key.alg == "RS256")
        starts = new.activates_at.replace(tzinfo=UTC).timestamp()
        assert starts == int(starts)
        assert rotated_at + app.config["OIDC_KEY_ACTIVATION_DELAY"] <= starts
        for iat, kid in ((starts - 1, old), (starts, new.kid), (starts + 3600, new.kid)):
            token = sign({"iat": int(iat)}, "RS256", "JWT")
            assert jwt.decode(token, keyring().public).header["kid"] == kid, iat
        assert keyring().signing["RS256"].kid == old  # now: before the activation delay
