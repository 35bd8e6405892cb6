"""The invitation mail says truthfully what is left to do (issue 11, defect 15): what the
registration form of the preset will still ask, read from that form."""

from __future__ import annotations

import pytest

from idp.core.extensions import db
from idp.launcher.services import set_entry
from tests.admin.conftest import csrf_token
from tests.support.mail import wait_for_mail

INVITED = "ivana.petrova@exemple.fr"
ASKED = {
    "cnfpt": [
        "votre date de naissance",
        "un contrôle de sécurité",
        "l'acceptation des conditions d'utilisation",
        "le choix de votre mot de passe",
    ],
    "cpf": [
        "votre date de naissance",
        "votre numéro de sécurité sociale",
        "un contrôle de sécurité",
        "l'acceptation des conditions d'utilisation",
        "le choix de votre mot de passe",
    ],
}


@pytest.fixture(params=["cnfpt", "cpf"])
def settings(settings, request):
    """Each preset whose registration form differs."""
    return {**settings, "PRESET": request.param}


def test_the_invitation_lists_what_the_registration_form_will_still_ask(
    app, admin_client, smtp_sink
):
    """A newcomer's invitation names every step the preset's form asks beyond what the
    invitation fills in (not only the password), and not what it fills in."""
    with app.app_context():
        set_entry("formadist", name="Formadist", url="https://formadist.example")
        db.session.commit()
    page = admin_client.get("/admin/invitations/new").get_data(as_text=True)
    fields = {"email": INVITED, "client_id": "formadist", "civility": "mme"}
    fields |= {"given_name": "Ivana", "family_name": "", "expires_in_days": "30"}
    response = admin_client.post(
        "/admin/invitations/new", data={"csrf_token": csrf_token(page), **fields}
    )
    assert response.status_code == 302
    mail = wait_for_mail(smtp_sink, INVITED)
    for part in (mail.text, mail.message.get_body(preferencelist=("html",)).get_content()):
        assert "il vous reste à choisir un mot de passe" not in part
        assert "Le formulaire vous demandera encore" in part
        for item in ASKED[app.config["PRESET"]]:
            assert item in part.replace("&#39;", "'"), item
        assert "votre prénom" not in part and "votre civilité" not in part  # pre-filled
    assert "- votre nom" in mail.text  # not in this invitation: still asked
    assert ("votre numéro de sécurité sociale" in mail.text) == (app.config["PRESET"] == "cpf")
