"""Everything the chat says to people, in French, in one place."""

from __future__ import annotations

# -- conversation infrastructure ---------------------------------------------------------
UNKNOWN_COMMAND = "Je ne connais pas la commande {command}. Tapez /helpdesk pour l'aide."
EXPIRED_ACTION = "Cette action n'est plus disponible. Recommencez depuis la commande."
INTERNAL_ERROR = (
    "Désolé, une erreur s'est produite de notre côté. Réessayez dans un instant ; "
    "si cela persiste, écrivez au helpdesk."
)
JOB_STARTED = "C'est parti, je vous tiens au courant ici."

# -- form validation ---------------------------------------------------------------------
FIELD_REQUIRED = "Ce champ est obligatoire."
FIELD_TOO_LONG = "Trop long : {max} caractères au maximum."
FIELD_EMAIL_INVALID = "Adresse e-mail invalide (exemple : prenom.nom@ecole.be)."
FIELD_PHONE_INVALID = "Numéro de téléphone invalide (exemple : 02 511 22 33 ou +32 470 12 34 56)."
FIELD_DATE_INVALID = "Date invalide (format JJ/MM/AAAA)."
FIELD_OPTION_INVALID = "Choisissez une des propositions."

# -- transports ------------------------------------------------------------------------------
EMPTY_TABLE = "(aucune ligne)"
TRUNCATED = "… la suite ne tient pas ici : affinez la recherche ou téléchargez la liste."
CANCEL = "Annuler"
FORM_NEEDS_BUTTON = (
    "Ce formulaire s'ouvre depuis une commande ou un bouton ; réessayez avec la commande."
)
CONTINUED_IN_DM = "Je vous réponds en message privé."
