"""Browsers for the sessions page and new sign-in tests: test clients that say which browser
they are (user agent) and where they connect from, signed in through the real /login form."""

from __future__ import annotations

from tests.support.accounts import PASSWORD, login

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def browser(app, agent: str = FIREFOX_WINDOWS, address: str = "127.0.0.1"):
    """A new browser (its own cookies) with this user agent, connecting from `address`."""
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    return client


def signed_in_browser(app, email: str, agent: str = FIREFOX_WINDOWS, address: str = "127.0.0.1"):
    """A new browser signed in through the login form."""
    client = browser(app, agent, address)
    response = login(client, email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return client
