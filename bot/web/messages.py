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
TITLE_CHANGE_PASSWORD = "Changer mon mot de passe"
TITLE_CHANGE_EMAIL = "Changer mon adresse e-mail de référence"
TITLE_ALREADY_ACTIVE = "Compte déjà activé"
TITLE_SIGNOUT = "Déconnexion"
TITLE_FORGOT = "Identifiant ou mot de passe oublié ?"
TITLE_RESET = "Choisir un nouveau mot de passe"
TITLE_PASSWORD_CHANGED = "Mot de passe modifié"
TITLE_EMAIL_CONFIRM = "Confirmer votre adresse e-mail"
TITLE_EMAIL_CONFIRMED = "Adresse e-mail confirmée"
TITLE_FAQ = "Autres questions fréquentes"
TITLE_FORM_EXPIRED = "Formulaire expiré"
TITLE_NOT_FOUND = "Page introuvable"
TITLE_FORM_REFUSED = "Saisie refusée"
TITLE_BUSY = "Service très sollicité"
TITLE_SITUATION = "Ma situation"

FORM_EXPIRED = (
    "Ce formulaire a expiré ou les cookies sont désactivés dans votre navigateur. "
    "Rechargez la page, puis recommencez."
)
NOT_FOUND = "Cette page n'existe pas."
SIGNED_OUT = "Vous êtes déconnecté·e."
SIGNED_OUT_EVERYWHERE = (
    "Vous êtes déconnecté·e de tous les appareils : il faudra vous reconnecter partout."
)
# Why the sign-in page is shown to someone who asked for « Mon accès » (pages.SIGNIN_REASONS).
SIGNIN_NEEDED = "Connectez-vous pour accéder à « Mon accès »."
SIGNIN_AFTER_SIGN_OUT = (
    "Vous vous êtes déconnecté·e. Connectez-vous à nouveau pour accéder à « Mon accès »."
)
SIGNIN_AFTER_IDLE = (
    "Votre session a pris fin après un moment sans activité, pour protéger votre compte. "
    "Connectez-vous à nouveau pour accéder à « Mon accès »."
)
SIGNIN_AFTER_MAXIMUM = (
    "Votre session a atteint sa durée maximale. "
    "Connectez-vous à nouveau pour accéder à « Mon accès »."
)
SIGNIN_AFTER_CLOSED = (
    "Votre session a été fermée (déconnexion depuis un autre appareil, changement de mot de "
    "passe ou compte désactivé). Connectez-vous à nouveau pour accéder à « Mon accès »."
)
# Notices on « Mon accès » after a change made from it (account.NOTICES).
PASSWORD_CHANGED_HERE = (
    "Votre mot de passe a été changé et un e-mail vous le confirme. "
    "Vous restez connecté·e sur cet appareil."
)
PASSWORD_CHANGED_HERE_OTHERS_ENDED = (
    "Votre mot de passe a été changé et un e-mail vous le confirme. "
    "Vous restez connecté·e sur cet appareil ; vos autres sessions ont été fermées."
)
EMAIL_CHANGE_SENT = (
    "Un e-mail de confirmation a été envoyé à la nouvelle adresse. Votre adresse de référence "
    "changera quand vous aurez cliqué sur le lien qu'il contient. Un avis a aussi été envoyé "
    "à votre adresse actuelle."
)
SIGN_OUT_EVERYWHERE_EXPIRED = (
    "Votre session avait déjà pris fin. Pour vous déconnecter de tous les appareils, "
    "connectez-vous puis choisissez « Se déconnecter de tous les appareils »."
)
CONTROL_CHARACTERS = (
    "Votre saisie contient un caractère invisible non autorisé (caractère de contrôle). "
    "Tapez-la à nouveau, sans copier-coller, puis recommencez."
)
FIELD_CONTROL_CHARACTERS = (
    "Ce champ contient un caractère invisible non autorisé : tapez-le à nouveau."
)
REQUEST_TIMEOUT = "La requête a mis trop de temps à arriver. Réessayez."
REQUEST_TOO_LARGE = "La requête est trop volumineuse."
URI_TOO_LONG = "L'adresse demandée est trop longue."
HEAD_TOO_LARGE = "Les en-têtes de la requête sont trop volumineux."
EMAIL_REQUIRED = "Indiquez votre adresse e-mail."
NO_ESTABLISHMENT = "Aucun établissement n'est associé à votre compte pour le moment."
FAQ_UNAVAILABLE = (
    "La liste des questions fréquentes sera bientôt disponible ici. "
    "En attendant, écrivez au helpdesk : {helpdesk_email}."
)
# The search of /faq (bot.web.faq_page): the chat's answers, worded for a page.
FAQ_SOCIAL = (
    "Bonjour ! Tapez votre question sur l'Extranet (compte, invitation, mot de passe, accès…) "
    "dans la recherche, ou parcourez les questions ci-dessous."
)
FAQ_OFF_TOPIC = (
    "Cette FAQ et ce helpdesk ne couvrent que l'Extranet : compte, invitation, mot de passe, "
    "accès. Pour le wifi, Smartschool, les congés, les fiches de paie, les imprimantes ou le "
    "matériel de l'école, adressez-vous au secrétariat ou à la direction de votre école."
)
FAQ_PROBLEM = (
    "Cela ressemble à un problème de l'Extranet lui-même : la FAQ ne peut pas le régler, le "
    "support oui. Écrivez-lui en précisant votre navigateur, votre appareil et l'heure du "
    "problème."
)
FAQ_UNSURE = "Votre question ressemble-t-elle à l'une de celles-ci ?"
FAQ_NO_ANSWER = (
    "Aucune réponse de la FAQ ne correspond à cette question : le support peut vous aider."
)
