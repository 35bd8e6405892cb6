"""Words for audit event types, shown to people (their recent activity) and to admins."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

LABELS = {
    "account.registered": _l("Création du compte"),
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
    "token.revoked": _l("Jeton révoqué"),
    "invitation.accepted": _l("Invitation acceptée"),
    "admin.user.locked": _l("Compte verrouillé par un administrateur"),
    "admin.user.unlocked": _l("Compte déverrouillé par un administrateur"),
    "admin.user.confirmation_resent": _l("Courriel de confirmation renvoyé par un administrateur"),
    "admin.user.reset_sent": _l("Lien de réinitialisation envoyé par un administrateur"),
    "admin.user.exported": _l("Données exportées par un administrateur"),
    "admin.user.factors_reset": _l("Méthodes de vérification réinitialisées par un administrateur"),
}


def label(event_type: str) -> str:
    """A readable label; admin actions and unknown types fall back to the raw type."""
    found = LABELS.get(event_type)
    if found is not None:
        return str(found)
    if event_type.startswith("admin."):
        return _("Action d'un administrateur (%(type)s)", type=event_type)
    return event_type
