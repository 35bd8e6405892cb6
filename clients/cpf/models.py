"""CPF's demo data (seed 004's dashboard): hours, training files, delegations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clients.common.db import db

__all__ = ["HoursAccount", "TrainingFile", "Delegation", "ensure_demo_data", "dashboard_for"]


class HoursAccount(db.Model):
    __tablename__ = "cpf_hours"

    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    cpf_hours: Mapped[int] = mapped_column(Integer, default=0)
    dif_hours: Mapped[int] = mapped_column(Integer, default=0)


class TrainingFile(db.Model):
    __tablename__ = "cpf_training_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    hours: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # "open" or "closed"
    start: Mapped[dt.date] = mapped_column(Date)


class Delegation(db.Model):
    __tablename__ = "cpf_delegation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), index=True)
    delegate: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(200))
    until: Mapped[dt.date] = mapped_column(Date)


TABLES = ("cpf_hours", "cpf_training_file", "cpf_delegation")


def ensure_demo_data(sub: str, claims: dict) -> None:
    """At the first login: hours, two open files, one closed, one delegation."""
    if db.session.get(HoursAccount, sub) is not None:
        return
    db.session.add(HoursAccount(sub=sub, cpf_hours=72, dif_hours=48))
    files = (
        (
            "DF-2026-0142",
            "Anglais professionnel (TOEIC)",
            "Langues Ouest",
            30,
            "open",
            (2026, 3, 2),
        ),
        (
            "DF-2026-0187",
            "Bureautique : tableur avancé",
            "Numérique Formation",
            14,
            "open",
            (2026, 5, 11),
        ),
        (
            "DF-2025-0911",
            "Sauveteur secouriste du travail",
            "Croix-Blanche 44",
            14,
            "closed",
            (2025, 10, 6),
        ),
    )
    for ref, title, provider, hours, status, start in files:
        db.session.add(
            TrainingFile(
                sub=sub,
                reference=ref,
                title=title,
                provider=provider,
                hours=hours,
                status=status,
                start=dt.date(*start),
            )
        )
    db.session.add(
        Delegation(
            sub=sub,
            delegate="Conseil en évolution professionnelle (CEP)",
            scope="Consulter mes heures et mes dossiers",
            until=dt.date(2026, 12, 31),
        )
    )


def dashboard_for(sub: str) -> dict:
    """Everything the "Synthèse de votre compte" page shows."""
    hours = db.session.get(HoursAccount, sub) or HoursAccount(sub=sub, cpf_hours=0, dif_hours=0)
    files = db.session.query(TrainingFile).filter_by(sub=sub).order_by(TrainingFile.start).all()
    return {
        "hours": hours,
        "open_files": [f for f in files if f.status == "open"],
        "closed_files": [f for f in files if f.status == "closed"],
        "delegations": db.session.query(Delegation).filter_by(sub=sub).all(),
    }
