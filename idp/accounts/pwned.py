"""Have I Been Pwned's Pwned Passwords range API, asked about a new password when the
deployment turns it on (PASSWORD_PWNED_CHECK, off by default: many deployments reach no
internet).

k-anonymity: only the first 5 hexadecimal characters of the password's SHA-1 leave Compte;
the service answers every hash suffix of that range with its count, and the comparison is
made here. `Add-Padding: true` has the answer padded with fake suffixes of count 0 (ignored
here), so that its size does not tell the range either.

Fail open: when the service cannot answer (timeout, refused connection, an HTTP error, an
answer that is not a range), the password is judged on the offline list alone and one
warning line says so. An outage elsewhere must not stop people from choosing a password; the
line names the kind of failure only, never the password, its hash or the URL (which holds
the hash's prefix).
"""

from __future__ import annotations

import hashlib
import logging
import re

from flask import current_app, g

from idp.accounts.policy import Breached

__all__ = ["PREFIX_LENGTH", "checker", "is_pwned", "sha1_hex"]

log = logging.getLogger(__name__)

PREFIX_LENGTH = 5
# One line of a range answer: the 35 other hex characters of a SHA-1, a colon, a count.
RANGE_LINE = re.compile(r"([0-9A-Fa-f]{35}):(\d+)")
USER_AGENT = "Compte (password policy)"


class UnexpectedAnswer(Exception):
    """The service answered something other than a range (an error page, a portal…)."""


def sha1_hex(password: str) -> str:
    """The upper-case hex SHA-1 of the UTF-8 password, as the service lists them."""
    # SHA-1 is the service's index, not a protection of the password here.
    digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest().upper()


def _found(body: str, suffix: str) -> bool:
    found = False
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        match = RANGE_LINE.fullmatch(line)
        if match is None:
            raise UnexpectedAnswer("not a range")
        # Padding lines have a count of 0: they are not in any breach.
        if match[1].upper() == suffix and int(match[2]) > 0:
            found = True
    return found


def _reason(error: Exception) -> str:
    # str() of a requests error holds the URL, hence the hash's prefix: the kind only.
    if isinstance(error, UnexpectedAnswer):
        return str(error)
    return type(error).__name__


def is_pwned(password: str, *, api: str, timeout: float) -> bool:
    """True when the service lists `password` in a breach; False when it does not, or when
    it could not be asked (logged: fail open)."""
    import requests  # imported at first use: about 5 MB per worker (docs/benchmarks.md)

    digest = sha1_hex(password)
    prefix, suffix = digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]
    try:
        response = requests.get(
            api + prefix,
            headers={"Add-Padding": "true", "User-Agent": USER_AGENT},
            timeout=timeout,
            allow_redirects=False,
        )
        if response.status_code != 200:
            raise UnexpectedAnswer(f"HTTP {response.status_code}")
        return _found(response.text, suffix)
    except (requests.RequestException, UnexpectedAnswer) as error:
        log.warning(
            "Pwned Passwords unavailable (%s): the new password was checked against the "
            "offline list only",
            _reason(error),
        )
        return False


def checker() -> Breached | None:
    """The lookup this deployment configured, for policy.check/statuses; None when off.
    Answers are kept for the request: after a refused form, the checklist asks again about
    the same password, and the service is asked once."""
    config = current_app.config
    if not config["PASSWORD_PWNED_CHECK"]:
        return None
    api = str(config["PASSWORD_PWNED_API"])
    timeout = float(config["PASSWORD_PWNED_TIMEOUT"])

    def breached(password: str) -> bool:
        answers: dict[str, bool] = g.setdefault("pwned_answers", {})
        key = sha1_hex(password)
        if key not in answers:
            answers[key] = is_pwned(password, api=api, timeout=timeout)
        return answers[key]

    return breached
