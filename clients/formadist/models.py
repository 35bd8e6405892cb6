"""Formadist's demo data: a small course catalogue and each person's enrolments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clients.common.db import db, utcnow
from clients.common.demo_person import is_demo_person

__all__ = ["Course", "COURSES", "Enrolment", "enrol", "enrolments_of", "ensure_demo_data"]


@dataclass(frozen=True)
class Course:
    code: str
    title: str
    dates: str
    duration: str
    mode: str
    summary: str
    modules: tuple[str, ...]


COURSES = {
    c.code: c
    for c in (
        Course(
            "MARCHES-2026",
            "Les fondamentaux de la commande publique",
            "du 12 janvier au 6 février 2026",
            "12 heures",
            "À distance, à votre rythme",
            "Principes, seuils et procédures des marchés publics des collectivités.",
            (
                "Les principes",
                "Les seuils et procédures",
                "Rédiger un cahier des charges",
                "Quiz final",
            ),
        ),
        Course(
            "ACCUEIL-2026",
            "Accueillir le public avec efficacité",
            "du 2 au 27 mars 2026",
            "9 heures",
            "Classe virtuelle et modules en ligne",
            "Posture, écoute et gestion des situations difficiles à l'accueil.",
            ("Se présenter", "Écouter et reformuler", "Situations difficiles"),
        ),
        Course(
            "NUMERIQUE-2026",
            "Le numérique au service des usagers",
            "du 4 mai au 12 juin 2026",
            "15 heures",
            "À distance, à votre rythme",
            "Démarches en ligne, accessibilité et accompagnement des usagers.",
            ("Les démarches en ligne", "L'accessibilité numérique", "Accompagner les usagers"),
        ),
    )
}
DEMO_COURSES = ("MARCHES-2026", "ACCUEIL-2026")


class Enrolment(db.Model):
    __tablename__ = "formadist_enrolment"
    __table_args__ = (UniqueConstraint("sub", "course_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), index=True)
    course_code: Mapped[str] = mapped_column(String(40))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    enrolled_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def course(self) -> Course:
        return COURSES[self.course_code]


TABLES = ("formadist_enrolment",)


def enrolments_of(sub: str) -> list[Enrolment]:
    return db.session.query(Enrolment).filter_by(sub=sub).order_by(Enrolment.id).all()


def enrol(sub: str, code: str, progress: int = 0) -> Enrolment:
    """Enrol `sub` in course `code` (once)."""
    existing = db.session.query(Enrolment).filter_by(sub=sub, course_code=code).one_or_none()
    if existing:
        return existing
    enrolment = Enrolment(sub=sub, course_code=code, progress=progress)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def ensure_demo_data(sub: str, claims: dict) -> None:
    """At its first login the demo account finds two sample training sessions; any other
    person's path holds only the sessions they were invited to (the convocation link)."""
    if not is_demo_person(claims):
        return
    if db.session.query(Enrolment).filter_by(sub=sub).first() is None:
        for code, progress in zip(DEMO_COURSES, (40, 0), strict=True):
            enrol(sub, code, progress)
