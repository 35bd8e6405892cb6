"""What the OpenID Provider tells, and asks of, the areas above it (launcher, admin), which
connect their receivers for their app in their `init_app` (see idp/accounts/signals.py for
the pattern). oidc never imports them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# client: about to be deleted (not committed); remove what other areas keep about it.
client_deleting = _signals.signal("client-deleting")
# client_id: return the service's description for the consent page, or None.
client_description = _signals.signal("client-description")
