"""French wording of the web pages that is not in the templates (titles, notices, errors).

The account's own sentences (password rules, sign-in, reset) come from
`access.messages`, shared with the chat.
"""

from __future__ import annotations

TITLE_ACTIVATE = "Activer votre compte"
TITLE_ACTIVATED = "Compte activé"
TITLE_LINK_INVALID = "Lien non valable"
TITLE_SIGNIN = "Connexion"
TITLE_MY_ACCESS = "Mon accès"
TITLE_SIGNOUT = "Déconnexion"
TITLE_FORGOT = "Identifiant ou mot de passe oublié ?"
TITLE_RESET = "Choisir un nouveau mot de passe"
TITLE_PASSWORD_CHANGED = "Mot de passe modifié"
TITLE_EMAIL_CONFIRM = "Confirmer votre adresse e-mail"
TITLE_EMAIL_CONFIRMED = "Adresse e-mail confirmée"
TITLE_FAQ = "Autres questions fréquentes"
TITLE_FORM_EXPIRED = "Formulaire expiré"
TITLE_NOT_FOUND = "Page introuvable"
TITLE_BUSY = "Service très sollicité"

FORM_EXPIRED = (
    "Ce formulaire a expiré ou les cookies sont désactivés dans votre navigateur. "
    "Rechargez la page, puis recommencez."
)
NOT_FOUND = "Cette page n'existe pas."
SIGNED_OUT = "Vous êtes déconnecté·e."
EMAIL_REQUIRED = "Indiquez votre adresse e-mail."
NO_ESTABLISHMENT = "Aucun établissement n'est associé à votre compte pour le moment."
FAQ_UNAVAILABLE = (
    "La liste des questions fréquentes sera bientôt disponible ici. "
    "En attendant, écrivez au helpdesk : {helpdesk_email}."
)
