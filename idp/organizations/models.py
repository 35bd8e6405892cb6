"""Tables of the organisations: an organisation (SIRET) and the e-mail domains of its people.

An account may also name its organisation itself (account.organization_id, set by an
administrator): that choice wins over the domain (idp/organizations/services.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = ["Organization", "OrganizationDomain"]


class Organization(db.Model):
    """An employer of the people of Compte, known by its SIRET (the establishment)."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # 14 digits, checked (idp/organizations/siret.py); the SIREN is its first 9 digits.
    siret: Mapped[str] = mapped_column(String(14), unique=True, nullable=False)
    # The ministry / direction / service of its people, unless an account has its own.
    organizational_unit: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)

    domains: Mapped[list[OrganizationDomain]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by="OrganizationDomain.domain",
    )

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains]


class OrganizationDomain(db.Model):
    """An e-mail domain whose addresses belong to one organisation (and its subdomains,
    unless one of them has an organisation of its own)."""

    __tablename__ = "organization_domain"

    # Lower-case, without "@" (e.g. "justice.gouv.fr"); one organisation per domain.
    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True, nullable=False
    )
    organization: Mapped[Organization] = relationship(back_populates="domains")
