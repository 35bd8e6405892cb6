"""Tables of the administration area (the Invitation model lives in invitations_models)."""

from __future__ import annotations

__all__: list[str] = []


try:  # The people part of the administration adds the Invitation model there.
    from idp.admin.invitations_models import *  # noqa: F403
    from idp.admin.invitations_models import __all__ as _invitation_names

    __all__ += list(_invitation_names)
except ImportError:  # pragma: no cover - until that module lands
    pass
