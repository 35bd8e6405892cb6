"""Registration from an invitation (seed 000): the form arrives pre-filled, the invited
address is locked on the server, and confirming leads to the invited service."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from idp.accounts.models import Account
from idp.core.extensions import db
from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import csrf_of, person
from tests.support.mail import mails_to, wait_for_mail
from tests.support.registration import INVITED, confirm_link, invite, path_of


def test_invitation_prefills_and_locks_the_email(app, client, smtp_sink):
    """The invited address cannot be changed, even by a forged POST; after confirmation
    the login page sends the person on to the invited service."""
    answers = record_captcha_answers(app)
    token = invite(app)
    url = f"/register?invitation={token}"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{INVITED}" readonly' in page or (
        f'value="{INVITED}"' in page and "readonly" in page
    )
    assert 'value="Ivana"' in page and 'value="Petrova"' in page
    assert "Formadist" in page

    data = person(
        given_name="Ivana",
        family_name="Petrova",
        civility="mme",
        email="pirate@yopmail.com",
        email_confirm="pirate@yopmail.com",
    )
    data.update(csrf_token=csrf_of(page), invitation_token=token, **captcha_fields(answers, page))
    response = client.post(url, data=data)
    assert response.status_code == 302
    mail = wait_for_mail(smtp_sink, INVITED)
    assert mail.text.startswith("Bonjour Ivana,")
    assert mails_to(smtp_sink, "pirate@yopmail.com") == []
    with app.app_context():
        assert db.session.scalar(db.select(Account.email)) == INVITED

    response = client.get(path_of(confirm_link(mail)))
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["identifier"] == [INVITED]
    assert query["next"] == ["https://formadist.example"]
