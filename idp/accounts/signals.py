"""What the accounts area tells, and asks of, the areas above it (oidc, launcher, admin).

Accounts sit below those areas (docs/architecture.md) and never import them. Where an
account journey needs them (tell the services that sessions ended, list the services an
account opens, honour an invitation), it sends one of the signals below; the area above
connects its receiver for its app in its `init_app`. With nothing connected (accounts on
their own), each question has a neutral answer: no service, nothing to revoke.

Every signal is sent with the application as sender; idp/core/signals.answers() collects
the receivers' non-None results.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# --- Sessions (idp/accounts/sessions.py) --------------------------------------------------
# account, sids, everything, now: sessions `sids` are ending (not yet committed). Revoke
# what was issued in them (every grant of the account when `everything`); return how many.
sessions_ending = _signals.signal("sessions-ending")
# account, sids: those sessions have ended (committed). Tell the services (back-channel
# logout); return how many were told.
sessions_ended = _signals.signal("sessions-ended")
# sid: this browser's session is being logged out. Return a `LogoutFrames` (the services
# it used and the front-channel logout addresses to load in the logout page).
logout_requested = _signals.signal("logout-requested")
# sids: return {sid: [names of the services that received a code in that session]} (the
# sessions page lists them under each browser).
session_services = _signals.signal("session-services")
# account (or None), redirect_uri, page: this browser is logging out of Compte. When its
# session was opened through an upstream provider, return the address of that provider's
# logout (it comes back to Compte, which then shows `page` — told, untold, everywhere — or
# goes on to `redirect_uri`), else None.
upstream_logout = _signals.signal("upstream-logout")

# --- The account's life ---------------------------------------------------------------------
# account: about to be deleted; remove the rows of other areas that name it without a
# foreign key (by e-mail address, by sid).
account_deleting = _signals.signal("account-deleting")
# account: return {section name: JSON-ready data} for the personal data export.
account_exporting = _signals.signal("account-exporting")

# --- Services and invitations ---------------------------------------------------------------
# Return the origins of the organisation's services (safe return addresses after login).
service_origins = _signals.signal("service-origins")
# account (or None): return the services the account opens (for the confirmation mail).
services_opened = _signals.signal("services-opened")
# args: the registration page's query; return the invitation's pre-fill, or None.
invitation_prefill = _signals.signal("invitation-prefill")
# next_url: a safe return address; when it is an authorization request of a known, enabled
# client (with a redirect URI registered for it), return {"name": …, "logo_uri": … or None}
# (the login and registration pages name the service the person is going to), else None.
requesting_service = _signals.signal("requesting-service")
# account, invitation_token: just confirmed through a link that carried an invitation;
# return where to go next (the invited service), or None.
landing_after_confirmation = _signals.signal("landing-after-confirmation")
