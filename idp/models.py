"""Imports every domain's models so that one metadata knows all tables (Alembic, create_all)."""

from idp.accounts.factors.models import *  # noqa: F403
from idp.accounts.models import *  # noqa: F403
from idp.admin.models import *  # noqa: F403
from idp.audit.models import *  # noqa: F403
from idp.captcha.models import *  # noqa: F403
from idp.federation.models import *  # noqa: F403
from idp.launcher.models import *  # noqa: F403
from idp.mail.models import *  # noqa: F403
from idp.oidc.models import *  # noqa: F403
from idp.organizations.models import *  # noqa: F403
