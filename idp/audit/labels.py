"""Words for audit event types, shown to people (their recent activity) and to admins:
one label for every type the code records (tests/audit/test_labels.py checks it), so that
nobody reads a code such as "token.issued"."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

LABELS = {
    "account.registered": _l("Création du compte"),
    "account.created": _l("Création du compte par l'équipe d'administration"),
    "account.confirmed": _l("Confirmation du courriel"),
    "registration.address_changed": _l("Inscription refaite avec une adresse corrigée"),
    "account.locked": _l("Compte verrouillé"),
    "account.unlocked": _l("Compte déverrouillé"),
    "account.exported": _l("Export de vos données"),
    "account.deleted": _l("Suppression du compte"),
    "login.succeeded": _l("Connexion réussie"),
    "login.failed": _l("Échec de connexion"),
    "login.locked": _l("Connexion refusée (compte verrouillé)"),
    "logout": _l("Déconnexion"),
    "sessions.ended": _l("Fin de sessions (déconnexion, changement de mot de passe…)"),
    "token.refresh_retried": _l("Renouvellement d'accès répété par une application"),
    "login.second_factor_failed": _l("Code de vérification incorrect"),
    "login.passkey_failed": _l("Clé d'accès refusée"),
    "login.new_device": _l("Connexion depuis un nouvel appareil"),
    "factor.totp_added": _l("Application d'authentification ajoutée"),
    "factor.totp_removed": _l("Application d'authentification retirée"),
    "factor.passkey_added": _l("Clé d'accès ajoutée"),
    "factor.passkey_removed": _l("Clé d'accès supprimée"),
    "factor.recovery_generated": _l("Codes de secours générés"),
    "factor.recovery_used": _l("Code de secours utilisé"),
    "factor.email_enabled": _l("Codes par courriel activés"),
    "factor.email_disabled": _l("Codes par courriel désactivés"),
    "factor.email_sent": _l("Code de connexion envoyé par courriel"),
    "browser.trusted": _l("Appareil de confiance ajouté"),
    "password.changed": _l("Changement du mot de passe"),
    "password.reset_requested": _l("Demande de réinitialisation du mot de passe"),
    "password.reset": _l("Réinitialisation du mot de passe"),
    "email.secondary_added": _l("Ajout d'un courriel secondaire"),
    "email.secondary_confirmed": _l("Confirmation du courriel secondaire"),
    "email.secondary_removed": _l("Retrait du courriel secondaire"),
    "profile.updated": _l("Modification du profil"),
    "terms.accepted": _l("Acceptation des conditions d'utilisation"),
    "consent.granted": _l("Accès accordé à une application"),
    "consent.revoked": _l("Accès retiré à une application"),
    "token.revoked": _l("Accès d'une application retiré"),
    "token.issued": _l("Informations transmises à une application"),
    "token.refresh_reuse_detected": _l(
        "Accès d'une application coupé : un ancien jeton a été réutilisé"
    ),
    "code.replayed": _l("Accès d'une application coupé : un code de connexion a été réutilisé"),
    "logout.backchannel_failed": _l("Une application n'a pas pu être prévenue de la déconnexion"),
    "password.change_failed": _l("Changement du mot de passe refusé (mot de passe actuel erroné)"),
    "registration.confirmation_resent": _l("Nouveau lien de confirmation demandé"),
    "registration.duplicate_attempt": _l("Tentative de création d'un compte avec votre adresse"),
    "registration.expired": _l("Inscription non confirmée à temps, annulée"),
    "registration.expired_replaced": _l("Inscription expirée remplacée par une nouvelle"),
    "invitation.created": _l("Invitation envoyée"),
    "invitation.resent": _l("Invitation renvoyée"),
    "invitation.revoked": _l("Invitation annulée"),
    "client.registered": _l("Application inscrite par elle-même (enregistrement dynamique)"),
    "client.updated_by_registration": _l("Application modifiée par elle-même"),
    "client.deleted_by_registration": _l("Application supprimée par elle-même"),
    "keys.rotated": _l("Nouvelle clé de signature"),
    "keys.rewrapped": _l("Secrets scellés de nouveau sous la clé de chiffrement actuelle"),
    "ratelimit.storage_unavailable": _l("Stockage des limites (Redis) injoignable"),
    "ratelimit.storage_recovered": _l("Stockage des limites (Redis) de nouveau joignable"),
    "invitation.accepted": _l("Invitation acceptée"),
    "admin.user.locked": _l("Compte verrouillé par un administrateur"),
    "admin.user.unlocked": _l("Compte déverrouillé par un administrateur"),
    "admin.user.confirmation_resent": _l("Courriel de confirmation renvoyé par un administrateur"),
    "admin.user.reset_sent": _l("Lien de réinitialisation envoyé par un administrateur"),
    "admin.user.exported": _l("Données exportées par un administrateur"),
    "admin.user.factors_reset": _l("Méthodes de vérification réinitialisées par un administrateur"),
    "admin.granted": _l("Droits d'administrateur accordés"),
    "admin.revoked": _l("Droits d'administrateur retirés"),
    "admin.client.created": _l("Application ajoutée par un administrateur"),
    "admin.client.updated": _l("Application modifiée par un administrateur"),
    "admin.client.deleted": _l("Application supprimée par un administrateur"),
    "admin.client.disabled": _l("Application désactivée par un administrateur"),
    "admin.client.enabled": _l("Application réactivée par un administrateur"),
    "admin.client.secret_rotated": _l("Nouveau secret d'application créé par un administrateur"),
    "admin.initial_access_token.created": _l("Jeton d'enregistrement d'application créé"),
    "admin.initial_access_token.revoked": _l("Jeton d'enregistrement d'application révoqué"),
    "admin.mail.sent_again": _l("Courriel renvoyé par un administrateur"),
    "admin.organization.created": _l("Organisation ajoutée par un administrateur"),
    "admin.organization.updated": _l("Organisation modifiée par un administrateur"),
    "admin.organization.deleted": _l("Organisation supprimée par un administrateur"),
    "admin.user.organization_set": _l("Organisation du compte choisie par un administrateur"),
    "provider.added": _l("Fournisseur d'identité externe déclaré"),
    "provider.updated": _l("Fournisseur d'identité externe modifié"),
    "provider.disabled": _l("Fournisseur d'identité externe désactivé"),
    "provider.enabled": _l("Fournisseur d'identité externe réactivé"),
    "provider.removed": _l("Fournisseur d'identité externe supprimé"),
    "federation.linked": _l("Connexion via un service externe ajoutée"),
    "federation.unlinked": _l("Connexion via un service externe retirée"),
    "federation.failed": _l("Échec de connexion via un service externe"),
}

# A finer label when the details say more: a refreshed access is not a new sign-in.
REFINED = {
    ("token.issued", "grant_type", "refresh_token"): _l("Accès renouvelé par une application"),
    ("token.issued", "grant_type", "authorization_code"): _l("Connexion à une application"),
}


def label(event_type: str, details: dict[str, Any] | None = None) -> str:
    """A readable label (finer with the event's `details`); a type recorded by a newer
    version without a label yet falls back to the raw type (admin actions: in a sentence)."""
    for key, value in (details or {}).items():
        refined = REFINED.get((event_type, key, value if isinstance(value, str) else ""))
        if refined is not None:
            return str(refined)
    found = LABELS.get(event_type)
    if found is not None:
        return str(found)
    if event_type.startswith("admin."):
        return _("Action d'un administrateur (%(type)s)", type=event_type)
    return event_type


def detail_value(value: Any) -> str:
    """A detail's value as the admin's audit table shows it: a list as "pwd, totp", a flag
    as "oui"/"non", nothing as "—" (never Python's "['pwd']" or "True")."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, list | tuple | set):
        return ", ".join(detail_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} {detail_value(item)}" for key, item in value.items())
    return str(value)
