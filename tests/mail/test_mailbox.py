"""The demo mailbox shows each mail as it looks (its HTML part, with its button)."""

from __future__ import annotations

import re
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from tests.support.accounts import text
from tests.support.mail import wait_for_mail


@pytest.fixture
def settings(settings: dict) -> dict:
    return {**settings, "MAILBOX_PAGE": True}


def test_a_message_shows_its_html_part_with_its_button_and_links_to_its_text(
    app, client, queue, smtp_sink
):
    """The message page frames the HTML part (sandboxed) and links to the text version;
    the HTML part holds the mail's button, served under a CSP that runs nothing."""
    queue("ivan@example.org", subject="Réinitialisation", link="https://x/reset/TOKEN")
    stored = wait_for_mail(smtp_sink, "ivan@example.org")
    page = text(client.get(f"/mailbox/{stored.id}"))
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert f'src="/mailbox/{stored.id}/html"' in frame and "sandbox=" in frame
    assert "allow-scripts" not in frame and "allow-same-origin" not in frame
    assert 'href="#version-texte"' in page and 'id="version-texte"' in page
    assert "https://x/reset/TOKEN" in page  # the text part, below

    part = client.get(f"/mailbox/{stored.id}/html")
    assert part.status_code == 200 and part.mimetype == "text/html"
    html = part.get_data(as_text=True)
    assert re.search(r'<a href="https://x/reset/TOKEN"[^>]*>Choisir un nouveau mot de passe', html)
    assert '<base target="_top">' in html  # its button opens in the whole window
    policy = part.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy and "sandbox" in policy


def test_an_unknown_message_is_a_404(client):
    """A made-up message id is a clear 404, for the page and its HTML part."""
    assert client.get("/mailbox/nope").status_code == 404
    assert client.get("/mailbox/nope/html").status_code == 404


def test_the_list_says_when_each_mail_came_in_paris_time_in_words(app, client, queue, smtp_sink):
    """The list names each mail by its subject (the link, first) and says when it came in
    words and in TIME_ZONE, not as the raw "Tue, 01 Dec 2026 04:20:41 +0000" header."""
    queue("ivan@example.org", subject="Réinitialisation", link="https://x/reset/TOKEN")
    stored = wait_for_mail(smtp_sink, "ivan@example.org")
    page = text(client.get("/mailbox/"))
    row = re.search(r'<tr role="row"><td role="cell"><a href="/mailbox/[^"]+">(.*?)</tr>', page)
    assert row and row.group(1).startswith("Réinitialisation</a>")
    assert str(stored.message["Date"]) not in page
    at = stored.sent_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert f"{at.day} " in row.group(1) and f"{at.hour}\u00a0h\u00a0{at.minute:02d}" in row.group(1)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">', row.group(1))
