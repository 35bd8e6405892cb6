"""E-communautés' demo data: the thematic communities and who joined them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clients.common.db import db, utcnow

__all__ = [
    "Community",
    "COMMUNITIES",
    "Membership",
    "join",
    "leave",
    "joined_codes",
    "ensure_demo_data",
]


@dataclass(frozen=True)
class Community:
    code: str
    name: str
    description: str
    members: int


COMMUNITIES = {
    c.code: c
    for c in (
        Community("achats", "Achat public", "Marchés, procédures et retours d'expérience.", 1840),
        Community("rh", "Ressources humaines", "Carrières, paie et dialogue social.", 2310),
        Community("numerique", "Transformation numérique", "Services en ligne et inclusion.", 1205),
        Community(
            "environnement", "Transition écologique", "Énergie, mobilités et biodiversité.", 980
        ),
        Community(
            "petite-enfance", "Petite enfance", "Crèches, relais et accueil du jeune enfant.", 760
        ),
    )
}
DEMO_JOINED = ("achats", "numerique")


class Membership(db.Model):
    __tablename__ = "ecom_membership"
    __table_args__ = (UniqueConstraint("sub", "community"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), index=True)
    community: Mapped[str] = mapped_column(String(40))
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


TABLES = ("ecom_membership", "ecom_profile")


class Profile(db.Model):
    """Marks that the demo data of a person was created (so leaving everything sticks)."""

    __tablename__ = "ecom_profile"

    sub: Mapped[str] = mapped_column(String(255), primary_key=True)


def joined_codes(sub: str) -> set[str]:
    return {m.community for m in db.session.query(Membership).filter_by(sub=sub)}


def join(sub: str, code: str) -> bool:
    """Join community `code`; False when it does not exist. Joining twice is harmless."""
    if code not in COMMUNITIES:
        return False
    if code not in joined_codes(sub):
        db.session.add(Membership(sub=sub, community=code))
    return True


def leave(sub: str, code: str) -> None:
    db.session.query(Membership).filter_by(sub=sub, community=code).delete()


def ensure_demo_data(sub: str, claims: dict) -> None:
    if db.session.get(Profile, sub) is None:
        db.session.add(Profile(sub=sub))
        for code in DEMO_JOINED:
            join(sub, code)
