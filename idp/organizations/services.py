"""Organisations: create, change, remove (audited; the caller commits), and the organisation
of an account: its own (set by an administrator), else the one of its e-mail's domain or
of the nearest parent domain (dgfip.finances.gouv.fr → finances.gouv.fr), else none."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from idp import audit
from idp.accounts.models import Account
from idp.core.extensions import db
from idp.core.rows import get_row
from idp.organizations import siret as sirets
from idp.organizations.models import Organization, OrganizationDomain

# Who a person is for the organisation (ProConnect's `belonging_population`).
POPULATIONS = ("agent", "prestataire", "partenaire", "stagiaire", "autre")
NAME_MAX_LENGTH = 200
UNIT_MAX_LENGTH = 200
# An e-mail domain: letters, digits and inner hyphens per label, two labels at least.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")


class OrganizationError(ValueError):
    """A rule an organisation breaks; `field` names the form field (name, siret, domains,
    organizational_unit), the message says it in French."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- reading ----------------------------------------------------------------------------


def list_organizations() -> list[Organization]:
    return list(db.session.scalars(db.select(Organization).order_by(Organization.name)))


def find(key: str) -> Organization | None:
    """The organisation whose SIRET (spaces allowed) or id is `key`."""
    siret = sirets.normalise(key)
    if len(siret) == sirets.SIRET_LENGTH:
        return db.session.scalar(db.select(Organization).where(Organization.siret == siret))
    return get_row(Organization, int(siret)) if siret.isascii() and siret.isdigit() else None


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def domain_candidates(email: str) -> list[str]:
    """The e-mail's domain, then each parent domain of two labels at least, nearest first."""
    labels = domain_of(email).split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1) if all(labels[i:])]


def organization_of(account: Account) -> Organization | None:
    """The account's organisation: its own, else its e-mail domain's (nearest first).
    One query (the identity map may spare it); the account may be a transient copy (the
    lean path's)."""
    if account.organization_id is not None:
        return db.session.get(Organization, account.organization_id)
    candidates = domain_candidates(account.email or "")
    if not candidates:
        return None
    return db.session.scalar(
        db.select(Organization)
        .join(OrganizationDomain)
        .where(OrganizationDomain.domain.in_(candidates))
        .order_by(sa.func.length(OrganizationDomain.domain).desc())
        .limit(1)
    )


def claims_of(account: Account) -> dict[str, str]:
    """ProConnect's organisation claims of the account, each absent when unknown: siret and
    siren (its organisation), organizational_unit (the account's, else the organisation's),
    belonging_population (the account's)."""
    organization = organization_of(account)
    claims: dict[str, str] = {}
    if organization is not None:
        claims["siret"] = organization.siret
        claims["siren"] = sirets.siren_of(organization.siret)
    unit = account.organizational_unit or (organization and organization.organizational_unit)
    if unit:
        claims["organizational_unit"] = unit
    if account.belonging_population:
        claims["belonging_population"] = account.belonging_population
    return claims


# --- checking ---------------------------------------------------------------------------


def normalise_domain(text: str) -> str:
    return text.strip().lower().removeprefix("@").rstrip(".")


def _checked_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise OrganizationError(_("Indiquez le nom de l’organisation."), "name")
    if len(name) > NAME_MAX_LENGTH:
        raise OrganizationError(_("%(max)d caractères au plus.", max=NAME_MAX_LENGTH), "name")
    return name


def _checked_siret(value: str | None, organization: Organization | None) -> str:
    siret = sirets.normalise(value)
    problem = sirets.problem(siret)
    if problem:
        raise OrganizationError(problem, "siret")
    other = find(siret)
    if other is not None and other is not organization:
        raise OrganizationError(
            _("L’organisation « %(name)s » a déjà ce SIRET.", name=other.name), "siret"
        )
    return siret


def _checked_unit(unit: str | None) -> str | None:
    unit = (unit or "").strip() or None
    if unit and len(unit) > UNIT_MAX_LENGTH:
        raise OrganizationError(
            _("%(max)d caractères au plus.", max=UNIT_MAX_LENGTH), "organizational_unit"
        )
    return unit


def _checked_domains(domains: Iterable[str], organization: Organization | None) -> list[str]:
    names = list(dict.fromkeys(d for d in (normalise_domain(x) for x in domains) if d))
    for name in names:
        if len(name) > 253 or not _DOMAIN.match(name):
            raise OrganizationError(
                _(
                    "« %(domain)s » n’est pas un nom de domaine (exemple : justice.gouv.fr).",
                    domain=name,
                ),
                "domains",
            )
        row = db.session.get(OrganizationDomain, name)
        if row is not None and row.organization is not organization:
            raise OrganizationError(
                _(
                    "Le domaine %(domain)s est déjà celui de l’organisation « %(name)s ».",
                    domain=name,
                    name=row.organization.name,
                ),
                "domains",
            )
    return names


# --- changing ---------------------------------------------------------------------------


def _set_domains(organization: Organization, names: list[str]) -> None:
    kept = {d.domain: d for d in organization.domains}
    organization.domains = [kept.get(n) or OrganizationDomain(domain=n) for n in names]


def _flush() -> None:
    """Written now, so that a SIRET or domain taken meanwhile by another request is told
    as a rule (nothing is kept), not as a server error."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise OrganizationError(
            _("Ce SIRET ou l’un de ces domaines vient d’être pris par une autre organisation.")
        ) from None


def create(
    name: str,
    siret: str,
    domains: Iterable[str] = (),
    organizational_unit: str | None = None,
    *,
    actor: Any = None,
    via: str | None = None,
) -> Organization:
    """A new organisation (audited; the caller commits). Raises OrganizationError."""
    organization = Organization(
        name=_checked_name(name),
        siret=_checked_siret(siret, None),
        organizational_unit=_checked_unit(organizational_unit),
    )
    _set_domains(organization, _checked_domains(domains, None))
    db.session.add(organization)
    _flush()
    audit.record("admin.organization.created", actor=actor, **_details(organization, via))
    return organization


UNCHANGED: Any = object()


def update(
    organization: Organization,
    *,
    name: Any = UNCHANGED,
    siret: Any = UNCHANGED,
    domains: Any = UNCHANGED,
    organizational_unit: Any = UNCHANGED,
    actor: Any = None,
    via: str | None = None,
) -> list[str]:
    """Change what is given (domains: the whole list); audited with the fields that
    changed, which it returns. Raises OrganizationError (nothing changed then)."""
    values: dict[str, Any] = {}
    if name is not UNCHANGED:
        values["name"] = _checked_name(name)
    if siret is not UNCHANGED:
        values["siret"] = _checked_siret(siret, organization)
    if organizational_unit is not UNCHANGED:
        values["organizational_unit"] = _checked_unit(organizational_unit)
    new_domains = None if domains is UNCHANGED else _checked_domains(domains, organization)
    changed = [key for key, value in values.items() if getattr(organization, key) != value]
    for key in changed:
        setattr(organization, key, values[key])
    if new_domains is not None and new_domains != organization.domain_names:
        _set_domains(organization, new_domains)
        changed.append("domains")
    if changed:
        _flush()
        details = _details(organization, via, fields=changed)
        audit.record("admin.organization.updated", actor=actor, **details)
    return changed


def remove(organization: Organization, *, actor: Any = None, via: str | None = None) -> None:
    """Delete an organisation and its domains; its accounts keep their unit and population
    and fall back to their e-mail's domain (audited; the caller commits)."""
    audit.record("admin.organization.deleted", actor=actor, **_details(organization, via))
    # ON DELETE SET NULL, done here too: SQLite does not enforce foreign keys unless asked.
    db.session.execute(
        sa.update(Account)
        .where(Account.organization_id == organization.id)
        .values(organization_id=None)
        .execution_options(synchronize_session="fetch")
    )
    db.session.delete(organization)
    db.session.flush()


def set_for_account(
    account: Account,
    organization: Organization | None,
    organizational_unit: str | None,
    belonging_population: str | None,
    *,
    actor: Any = None,
) -> list[str]:
    """An administrator's choice for one person (None: by the e-mail's domain); returns
    the fields that changed (audited; the caller commits)."""
    population = (belonging_population or "").strip() or None
    if population is not None and population not in POPULATIONS:
        raise OrganizationError(_("Choisissez une population de la liste."), "belonging_population")
    values = {
        "organization_id": organization.id if organization is not None else None,
        "organizational_unit": _checked_unit(organizational_unit),
        "belonging_population": population,
    }
    changed = [key for key, value in values.items() if getattr(account, key) != value]
    for key in changed:
        setattr(account, key, values[key])
    if changed:
        audit.record(
            "admin.user.organization_set",
            account=account,
            actor=actor,
            fields=changed,
            siret=organization.siret if organization is not None else None,
        )
    return changed


def _details(organization: Organization, via: str | None, **more: Any) -> dict[str, Any]:
    """What the audit log keeps of an organisation's change (`via`: "cli" at the console)."""
    details = {"organization_id": organization.id, "name": organization.name, **more}
    details["siret"] = organization.siret
    return {**details, "via": via} if via else details
