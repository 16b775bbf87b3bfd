"""French wording of the director services: mission grants and the team list export."""

from __future__ import annotations

SELF_GRANT = "Vous ne pouvez pas vous attribuer vous-même un accès supplémentaire."
NOT_IN_TEAM = "Cette personne ne fait pas partie du personnel actuel de cet établissement."
MISSION_REQUIRED = "Indiquez l'intitulé de la mission (par exemple « Coordination pédagogique »)."
MISSION_TOO_LONG = "L'intitulé de la mission est trop long ({limit} caractères au plus)."
MISSION_INVALID = "L'intitulé de la mission contient des caractères non autorisés."
MISSION_DUPLICATE = "Cette personne a déjà une mission en cours nommée « {mission} »."
RESOURCES_REQUIRED = "Choisissez au moins une ressource de l'Extranet."
RESOURCES_UNKNOWN = "Ressource inconnue de l'Extranet : {codes}."
END_IN_PAST = "La date de fin doit être aujourd'hui ou plus tard."
REASON_TOO_LONG = "Le motif est trop long ({limit} caractères au plus)."
GRANT_NOT_FOUND = "Cet accès de mission n'existe pas ou a déjà été retiré."

DEFAULT_ADD_REASON = "Mission confiée : {mission}"
DEFAULT_REMOVE_REASON = "Accès de mission retiré par la direction"

# Columns of the team list export, as on the sheet's screen.
EXPORT_HEADER = (
    "Statut",
    "Nom",
    "Prénom",
    "Rôle",
    "E-mail renseigné dans ProECO (le mail d'invitation sera envoyé à cette adresse)",
    "Échec d'envoi",
)
