"""Signed e-mail links (idp/accounts/links.py) as registration uses them: expiry, reuse,
tampering, and purpose separation."""

import time

import pytest

from idp.accounts import links
from idp.accounts.errors import LinkAlreadyUsed, LinkExpired, LinkInvalid
from idp.core.extensions import db


def test_link_works_once(app):
    """A confirmation link reads fine until consumed; the second use is refused."""
    with app.app_context():
        token = links.make_token("confirm", {"s": "abc", "e": "a@b.fr"})
        assert links.read_token("confirm", token, 60) == {"s": "abc", "e": "a@b.fr"}
        links.consume_token("confirm", token, 60)
        db.session.commit()
        with pytest.raises(LinkAlreadyUsed):
            links.read_token("confirm", token, 60)
        with pytest.raises(LinkAlreadyUsed):
            links.consume_token("confirm", token, 60)


def test_link_expires(app):
    """Past its max age a link raises LinkExpired, whatever its signature."""
    with app.app_context():
        token = links.make_token("confirm", {"s": "abc"})
        time.sleep(1.1)
        with pytest.raises(LinkExpired):
            links.read_token("confirm", token, 0)
        assert links.read_token("confirm", token, 60) == {"s": "abc"}


def test_tampered_or_foreign_link_is_invalid(app):
    """A modified token, or a reset token used as a confirmation, is invalid."""
    with app.app_context():
        token = links.make_token("confirm", {"s": "abc"})
        with pytest.raises(LinkInvalid):
            links.read_token("confirm", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), 60)
        reset = links.make_token("reset", {"s": "abc"})
        with pytest.raises(LinkInvalid):
            links.read_token("confirm", reset, 60)
