"""docs/proconnect.md, run: its commands register ProConnect and an organisation,
`compte proconnect check` agrees, and ProConnect's own authorization request gets what
ProConnect reads (signed ID token and signed userinfo, checked with the published keys)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc.conftest import RP
from tests.oidc.helpers import authorize_params, basic, pkce
from tests.support.sessions import signed_in

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "proconnect.md"
# ProConnect's request to an identity provider: every scope it knows (chorusdt included,
# which Compte does not hold), eidas1, and amr asked through the claims parameter.
PROCONNECT_SCOPE = (
    "openid given_name usual_name email uid siren siret organizational_unit "
    "belonging_population phone chorusdt"
)


def documented_commands() -> list[list[str]]:
    """The `compte …` commands of the guide's steps 1 and 2, as argument lists."""
    text = GUIDE.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    commands = []
    for block in blocks:
        for command in block.replace("\\\n", " ").splitlines():
            words = shlex.split(command, comments=True)
            if words[:2] in (["compte", "organizations"], ["compte", "clients"]):
                commands.append(words[1:])
    return commands


def keys(client) -> KeySet:
    return KeySet.import_key_set(client.get("/oauth/jwks").json)


def test_the_guide_registers_what_check_asks(cli):
    """Before the guide's commands the check fails and names what is missing; after them
    it passes (the issuer is http here: that one line stays a failure)."""
    before = cli("proconnect", "check", "--json")
    assert before.exit_code == 1
    failed = {c["what"] for c in json.loads(before.output)["checks"] if c["status"] == "failed"}
    assert "no client registered with ProConnect's redirect_uri" in failed
    commands = documented_commands()
    assert [c[:2] for c in commands] == [["organizations", "add"], ["clients", "add"]]
    for command in commands:
        assert cli(*command).exit_code == 0
    after = json.loads(cli("proconnect", "check", "--json").output)
    failed = [c["what"] for c in after["checks"] if c["status"] != "ok"]
    assert failed == ["issuer served over https"]


def test_proconnect_request_against_the_documented_registration(app, cli, person):
    """ProConnect's request (its scopes, acr_values=eidas1, claims asking amr, login_hint)
    is answered with iss, then an ES256 ID token (acr eidas1, amr pwd) and an ES256 signed
    userinfo holding the mandatory claims and the SIRET, chorusdt absent."""
    commands = documented_commands()
    organization, client_add = commands
    organization[organization.index("--domain") + 1] = "example.fr"  # the person's domain
    assert cli(*organization).exit_code == 0
    registered = json.loads(cli(*client_add).output)
    redirect_uri = client_add[client_add.index("--redirect-uri") + 1]
    proconnect = RP(registered["client_id"], registered["client_secret"], redirect_uri)

    verifier, challenge = pkce()
    query = authorize_params(
        proconnect,
        challenge,
        scope=PROCONNECT_SCOPE,
        acr_values="eidas1",
        claims=json.dumps({"id_token": {"amr": {"essential": True}}}),
        login_hint=person.email,
    )
    answer = signed_in(app, person.id, amr=["pwd"]).get("/oauth/authorize", query_string=query)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    back = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    assert back["iss"] == app.config["ISSUER"] and back["state"] == query["state"]

    client = app.test_client()
    tokens = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        headers=basic(proconnect),
    ).json
    published = keys(client)
    id_token = jwt.decode(tokens["id_token"], published, algorithms=["ES256"])
    assert id_token.header["alg"] == "ES256"
    assert id_token.claims["acr"] == "eidas1" and id_token.claims["amr"] == ["pwd"]
    assert id_token.claims["nonce"] == query["nonce"]

    info = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.headers["Content-Type"] == "application/jwt"
    claims = jwt.decode(info.get_data(as_text=True), published, algorithms=["ES256"]).claims
    assert claims["iss"] == app.config["ISSUER"] and claims["aud"] == proconnect.client_id
    assert {k: claims[k] for k in ("given_name", "usual_name", "email", "siret", "siren")} == {
        "given_name": "Ivan",
        "usual_name": "Petit",
        "email": person.email,
        "siret": "13002526500013",
        "siren": "130025265",
    }
    assert claims["uid"] == claims["sub"] == id_token.claims["sub"]
    assert claims["organizational_unit"] == "Pôle ProConnect"
    assert "chorusdt" not in claims
