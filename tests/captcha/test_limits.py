"""The captcha routes are rate-limited per address (CAPTCHA_RATE_LIMIT)."""

from __future__ import annotations

import pytest

from idp.captcha import services


@pytest.fixture
def settings(settings):
    return {**settings, "CAPTCHA_RATE_LIMIT": "3 per minute"}


def test_image_requests_are_rate_limited(app, client):
    """Past CAPTCHA_RATE_LIMIT an address gets 429 instead of more images."""
    with app.app_context():
        challenge_id = services.new_challenge()
    codes = [client.get(f"/captcha/{challenge_id}.png").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
