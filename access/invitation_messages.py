"""Everything the invitations and the mail outbox say to people, in French, in one place."""

from __future__ import annotations

# Why a person was not sent an invitation (InvitationReport.skipped / to_fix).
SKIP_REASONS: dict[str, str] = {
    "email_to_fix": "Adresse e-mail manquante ou invalide : à corriger dans ProECO",
    "left": "A quitté l'établissement",
    "active": "Compte déjà activé",
    "disabled": "Compte désactivé",
    "already_invited": "Invitation déjà envoyée (utilisez « Renvoyer l'invitation »)",
    "not_invited": "Pas encore invité·e (utilisez « Envoyer les invitations »)",
    "cooldown": (
        "Invitation envoyée il y a moins de {minutes} minutes : patientez avant de renvoyer"
    ),
    "not_in_establishment": "Ne fait pas partie de cet établissement",
}

INVITATION_SENT = "Invitation envoyée"
UNKNOWN_MODE = "Type d'envoi inconnu : choisissez l'envoi des invitations ou leur renvoi."
IDEMPOTENCY_KEY_REUSED = "Cette demande a déjà été utilisée pour un autre envoi ; recommencez."
NO_ESTABLISHMENT = "Aucun établissement ne vous est rattaché dans ProECO : contactez le helpdesk."

# Shown after « Échec d'envoi : » when the mail server could not be reached at all.
DELIVERY_UNREACHABLE = "le serveur de messagerie est injoignable"


def skip_label(reason: str, *, cooldown_seconds: int = 180) -> str:
    minutes = max(1, round(cooldown_seconds / 60))
    return SKIP_REASONS[reason].format(minutes=minutes)
