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

# -- help ------------------------------------------------------------------------------------
HELP_TITLE = "Assistant de l'Extranet"
HELP_INTRO = "Bonjour ! Je réponds aux questions sur l'Extranet et je vous aide à y accéder."
HELP_LINES = {
    "question": "• Posez votre question en m'écrivant ici, ou avec /helpdesk question …",
    "extranet": "• /extranet : votre accès (établissements, fonction, statut du compte) et, selon "
    "le cas, le renvoi de votre invitation ou un lien pour changer votre mot de passe",
    "lier": "• /extranet lier : relier votre compte Slack à votre fiche, "
    "avec un code reçu par e-mail",
    "ticket": "• /helpdesk ticket : écrire au helpdesk",
    "invite-team": "• /invite-team : (directions) la liste de votre équipe "
    "et l'envoi des invitations",
    "team": "• /team : (directions) votre équipe, avec des filtres",
    "access": "• /access NOM : (directions) l'accès d'une personne et ses missions",
}
HELP_ADDRESSES = "Extranet : {extranet_url}\nHelpdesk : {helpdesk_email}"
HELP_WORDS = frozenset({"help", "aide", "/aide", "?", "menu", "aide moi", "aidez moi"})

# -- FAQ -------------------------------------------------------------------------------------
FAQ_DID_IT_HELP = "Cette réponse vous aide-t-elle ?"
FAQ_HELPFUL = "Ça m'aide"
FAQ_NOT_HELPFUL = "Ça ne m'aide pas"
FAQ_THANKS = "Merci pour votre retour !"
FAQ_SORRY = (
    "Désolé que cette réponse ne vous aide pas. Le helpdesk peut vous répondre personnellement."
)
FAQ_UNSURE = (
    "Je ne suis pas sûr d'avoir bien compris. "
    "Votre question ressemble-t-elle à l'une de celles-ci ?"
)
FAQ_NO_ANSWER = (
    "Je n'ai pas de réponse à cette question dans la FAQ de l'Extranet. "
    "Le helpdesk peut vous aider."
)
FAQ_CONTACT = "Contacter le helpdesk"
FAQ_CONTACT_BY_EMAIL = (
    "Écrivez au helpdesk : {helpdesk_email}. Pour être aidé·e rapidement, indiquez vos nom et "
    "prénom, le numéro FASE de votre établissement et vos coordonnées."
)
FAQ_EMPTY_QUESTION = (
    "Quelle est votre question ? Par exemple : /helpdesk question j'ai oublié mon mot de passe"
)

# -- self-service (/extranet) -------------------------------------------------------------------
SELF_TITLE = "Votre accès à l'Extranet"
SELF_UNKNOWN = (
    "Je ne vous retrouve pas dans l'annuaire de l'Extranet avec l'adresse e-mail de votre "
    "profil. Tapez /extranet lier pour relier votre compte : un code vous sera envoyé à "
    "l'adresse connue de l'Extranet."
)
SELF_NAME = "Nom"
SELF_ACCOUNT = "Compte"
SELF_EMAIL = "Adresse e-mail de référence"
SELF_EMAIL_PROECO = "Adresse e-mail dans ProECO"
SELF_NO_EMAIL = "aucune adresse valide : à faire corriger dans ProECO par votre direction"
SELF_NO_ESTABLISHMENT = "Aucun établissement ne vous est rattaché dans ProECO."
SELF_COLUMNS = ("Établissement", "FASE", "Fonction", "Accès")
SELF_NO_RESOURCE = "aucun"
SELF_GRANT = "Mission « {mission} » ({fase}) : {resources}{until}"
SELF_GRANT_UNTIL = ", jusqu'au {date}"
ACCOUNT_LABELS = {
    "not_invited": "Pas encore invité·e : votre direction envoie les invitations",
    "invited": "Invitation envoyée{when} : activez votre compte avec le lien reçu par e-mail",
    "active": "Compte activé",
    "disabled": "Compte désactivé",
}
ACCOUNT_INVITED_ON = " le {date}"
ACCOUNT_LEFT = "A quitté l'établissement"
RESEND_INVITATION = "Renvoyer mon invitation"
RESET_PASSWORD = "Réinitialiser mon mot de passe"
LINK_ACCOUNT = "Lier mon compte"
INVITATION_RESENT = (
    "C'est fait : votre invitation part vers {email}. Suivez le lien de l'e-mail pour activer "
    "votre compte."
)
INVITATION_NOT_RESENT = "Je n'ai pas renvoyé l'invitation : {reason}."
SELF_NEEDS_LINK = "Je dois d'abord savoir qui vous êtes : tapez /extranet lier."

# -- linking (/extranet lier) -------------------------------------------------------------------
LINK_FORM_TITLE = "Lier mon compte"
LINK_FORM_INTRO = (
    "Indiquez votre nom, votre prénom et le numéro FASE de votre établissement, comme dans "
    "ProECO. Un code à 6 chiffres sera envoyé à l'adresse e-mail connue de l'Extranet."
)
LINK_LAST_NAME = "Nom"
LINK_FIRST_NAME = "Prénom"
LINK_FASE = "N° FASE de l'établissement"
LINK_FASE_INVALID = "Le numéro FASE ne contient que des chiffres."
LINK_SUBMIT = "Recevoir le code"
LINK_CODE_SENT = (
    "Si ces informations correspondent à une fiche de l'annuaire, un code à 6 chiffres vient "
    "d'être envoyé à l'adresse e-mail enregistrée pour cette fiche. Il est valable {minutes} "
    "minutes. Tapez ensuite : /extranet lier CODE"
)
LINK_ENTER_CODE = "Saisir le code"
LINK_CODE_FORM_TITLE = "Code reçu par e-mail"
LINK_CODE_LABEL = "Code à 6 chiffres"
LINK_CODE_SUBMIT = "Valider"
LINK_CODE_FORMAT = "Le code contient 6 chiffres."
LINK_DONE = "C'est fait : votre compte {channel} est relié à la fiche de {name}."
LINK_BAD_CODE = (
    "Ce code n'est pas valable (incorrect, expiré ou déjà utilisé). Vérifiez-le, ou demandez-en "
    "un nouveau avec /extranet lier."
)
LINK_NO_PENDING = "Demandez d'abord un code avec /extranet lier."
LINK_ALREADY = "Votre compte est déjà relié à la fiche de {name}."
LINK_TOO_MANY = (
    "Trop de codes demandés : réessayez dans une heure, ou écrivez au helpdesk ({helpdesk_email})."
)
CHANNEL_LABELS = {"slack": "Slack", "console": "de la console"}

# -- App Home ----------------------------------------------------------------------------------
HOME_WELCOME = "Bienvenue, {name} !"
HOME_WELCOME_UNKNOWN = "Bienvenue !"
