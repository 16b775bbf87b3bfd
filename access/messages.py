"""What people read, in French, for the access core (team screen, authorization refusals).

Wording follows the director's screen of the procedure sheet (« Accès de mon équipe »).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")

STATUS_WILL_BE_INVITED = "Recevra un email d'invitation"
STATUS_INVITED = "Invitation envoyée le {date}"
STATUS_INVITED_SOME_DAY = "Invitation envoyée"
STATUS_ACTIVE = "Compte activé"
STATUS_EMAIL_TO_FIX = "Adresse e-mail manquante ou invalide : à corriger dans ProECO"
STATUS_LEFT = "A quitté l'établissement"
STATUS_DELIVERY_FAILED = "Échec d'envoi : {reason}"

TEAM_HEADER = "{name} (FASE {fase}) — {count} personne(s)"
TEAM_COUNT = "{label} : {count}"
TEAM_COLUMNS = ("Statut", "Nom", "Rôle", "E-mail renseigné dans ProECO")
NO_EMAIL = "—"

NOT_IDENTIFIED = (
    "Je ne sais pas encore qui vous êtes : reliez d'abord votre compte Extranet "
    "(votre adresse e-mail de référence)."
)
UNKNOWN_ESTABLISHMENT = "Aucun établissement ne porte le numéro FASE {fase}."
NOT_DIRECTOR = (
    "Seule la direction de l'établissement {fase} peut gérer l'accès de son équipe à l'Extranet."
)
ACCOUNT_DISABLED = (
    "Votre compte Extranet est désactivé : vous ne pouvez plus gérer les accès de l'équipe."
)
PERSON_LEFT = (
    "Selon ProECO, vous ne faites plus partie de l'établissement {fase} : vous ne pouvez "
    "plus gérer les accès de son équipe."
)
UNKNOWN_PERSON = "Cette personne est introuvable."


def french_date(moment: datetime) -> str:
    """dd/mm/yyyy in Belgian local time, as dates appear on the director's screen."""
    return moment.astimezone(BRUSSELS).strftime("%d/%m/%Y")
