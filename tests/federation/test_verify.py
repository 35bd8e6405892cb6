"""The checks of an upstream ID token's claims (idp/federation/verify.py), one by one:
each wrong claim has its own reason code; eIDAS levels are ordered."""

from __future__ import annotations

import time

import pytest

from idp.federation.errors import FederationError
from idp.federation.models import UpstreamProvider
from idp.federation.verify import acr_satisfies, check_id_token

ISSUER = "https://fcp-low.integ01.dev-franceconnect.fr/api/v2"


def provider(acr_values: str | None = "eidas1") -> UpstreamProvider:
    return UpstreamProvider(name="fc", issuer=ISSUER, client_id="ours", acr_values=acr_values)


def claims(**changes) -> dict:
    now = int(time.time())
    found = {"iss": ISSUER, "aud": "ours", "exp": now + 60, "iat": now, "nonce": "n0nce"}
    found.update(sub="pairwise-sub", acr="eidas1")
    found.update(changes)
    return {k: v for k, v in found.items() if v is not None}


def test_a_right_id_token_passes():
    """Issuer, audience, times, nonce, subject and acr as they should be."""
    check_id_token(provider(), claims(), nonce="n0nce")
    check_id_token(provider(), claims(aud=["ours", "other"], azp="ours"), nonce="n0nce")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://evil.example"}, "wrong_issuer"),
        ({"aud": "someone-else"}, "wrong_audience"),
        ({"aud": ["ours", "other"]}, "wrong_audience"),  # several audiences, no azp
        ({"aud": ["ours", "other"], "azp": "other"}, "wrong_audience"),
        ({"exp": int(time.time()) - 3600}, "token_expired"),
        ({"iat": int(time.time()) + 3600}, "token_expired"),
        ({"exp": None}, "bad_token"),
        ({"nonce": "replayed"}, "wrong_nonce"),
        ({"nonce": None}, "wrong_nonce"),
        ({"sub": None}, "bad_token"),
        ({"acr": None}, "acr_too_low"),
    ],
)
def test_each_wrong_claim_has_its_reason(changes, reason):
    """A claim out of place stops the sign-in, and says which."""
    with pytest.raises(FederationError) as stopped:
        check_id_token(provider(), claims(**changes), nonce="n0nce")
    assert stopped.value.reason == reason


@pytest.mark.parametrize(
    ("asked", "given", "ok"),
    [
        (["eidas1"], "eidas1", True),
        (["eidas1"], "eidas2", True),  # higher than asked
        (["eidas2"], "eidas3", True),
        (["eidas2"], "eidas1", False),  # lower: "acr too low"
        (["eidas3"], "eidas2", False),
        (["eidas2"], None, False),
        (["https://refeds.org/profile/mfa"], "https://refeds.org/profile/mfa", True),
        (["https://refeds.org/profile/mfa"], "eidas1", False),
        ([], None, True),  # nothing asked: nothing to check
    ],
)
def test_eidas_levels_are_ordered(asked, given, ok):
    """FranceConnect's levels: eidas1 < eidas2 < eidas3; a higher level than asked is
    accepted, a lower one is not; other values must be one of those asked."""
    assert acr_satisfies(asked, given) is ok
