"""A software WebAuthn authenticator, and the requests of Compte's passkey endpoints.

Written by hand: py_webauthn plays the relying party's side only, and no Python library
plays the authenticator's (the browser tests use Chromium's virtual authenticator). This
one answers navigator.credentials.create() / get() as a passkey provider would: an ES256
key per credential, authenticatorData and clientDataJSON built byte by byte, the
signature over authenticatorData ‖ SHA-256(clientDataJSON). Each knob a test needs (the
origin, the RP ID, the counter, the UV and backup flags) can be set per call.

Also used by scripts/bench to prepare signed sign-ins ahead of the load.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes(16)  # "none" attestation: an all-zero AAGUID is allowed


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    counter: int = 0
    backed_up: bool = False


@dataclass
class SoftAuthenticator:
    """Holds discoverable credentials, as a platform authenticator does."""

    origin: str
    user_verified: bool = True
    backed_up: bool = False
    counts: bool = True  # False: the counter stays 0, as synced passkeys often do
    credentials: dict[bytes, Credential] = field(default_factory=dict)

    def create(self, options: dict, *, origin: str | None = None) -> dict:
        """The answer to navigator.credentials.create({publicKey: options}) (JSON form)."""
        rp_id = options["rp"]["id"]
        excluded = {unb64url(c["id"]) for c in options.get("excludeCredentials") or []}
        if excluded & set(self.credentials):
            raise ValueError("InvalidStateError: already registered here")
        key = ec.generate_private_key(ec.SECP256R1())
        credential = Credential(
            secrets.token_bytes(32), key, rp_id, unb64url(options["user"]["id"]), 0, self.backed_up
        )
        self.credentials[credential.credential_id] = credential
        numbers = key.public_key().public_numbers()
        cose = {
            1: 2,
            3: -7,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        attested = AAGUID + struct.pack(">H", 32) + credential.credential_id + cbor2.dumps(cose)
        auth_data = self._auth_data(rp_id, credential, AT) + attested
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self,
        options: dict,
        *,
        credential_id: bytes | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        counter: int | None = None,
        user_handle: bytes | None = None,
    ) -> dict:
        """The answer to navigator.credentials.get({publicKey: options}) (JSON form): the
        first allowed credential (or `credential_id`, or any discoverable one)."""
        credential = self.pick(options, credential_id)
        if counter is not None:
            credential.counter = counter
        elif self.counts:
            credential.counter += 1
        auth_data = self._auth_data(rp_id or credential.rp_id, credential, 0)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = credential.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(user_handle or credential.user_handle),
            },
            "clientExtensionResults": {},
        }

    def pick(self, options: dict, credential_id: bytes | None = None) -> Credential:
        if credential_id is not None:
            return self.credentials[credential_id]
        allowed = [unb64url(c["id"]) for c in options.get("allowCredentials") or []]
        for known_id, credential in self.credentials.items():
            if credential.rp_id == options["rpId"] and (not allowed or known_id in allowed):
                return credential
        raise LookupError("NotAllowedError: no passkey for this site")

    def _auth_data(self, rp_id: str, credential: Credential, extra_flags: int) -> bytes:
        flags = UP | extra_flags
        if self.user_verified:
            flags |= UV
        if credential.backed_up:
            flags |= BE | BS
        counter = credential.counter if self.counts else 0
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", counter)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()


# --- Compte's endpoints, over a Flask test client or requests ---------------------------


def csrf_headers(token: str) -> dict[str, str]:
    """What static/js/passkeys.js sends with each JSON POST."""
    return {"X-CSRFToken": token, "Accept": "application/json"}
