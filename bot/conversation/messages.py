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
FIELD_DATE_PAST = "Cette date est déjà passée : choisissez aujourd'hui ou une date à venir."
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
    "extranet": "• /extranet : votre accès (établissements, fonction, statut du compte), ce qui "
    "bloque et, selon le cas, le renvoi de votre invitation, un message à votre direction ou un "
    "lien pour changer votre mot de passe",
    "lier": "• /extranet lier : relier votre compte Slack à votre fiche, "
    "avec un code reçu par e-mail",
    "ticket": "• /helpdesk ticket : écrire au helpdesk",
    "invite-team": "• /invite-team : (directions) la liste de votre équipe "
    "et l'envoi des invitations",
    "team": "• /team : (directions) votre équipe, avec des filtres",
    "access": "• /access NOM : (directions) l'accès d'une personne et ses missions",
    "tickets": "• /tickets : vos demandes au helpdesk et leur dernière réponse ; /tickets "
    "NUMÉRO : la conversation d'une demande. Agents du helpdesk : les tickets ouverts, la fiche "
    "d'un ticket avec ses actions (prendre en charge, répondre, note interne, priorité, "
    "statut), /tickets stats : les mesures. Dans un terminal : extranet-bot console --agent",
    "diagnostic": "• /diagnostic ADRESSE ou NOM PRÉNOM FASE : (agents du helpdesk) ce qui bloque "
    "l'accès d'une personne",
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
# Not a question for the FAQ (faq.kinds): politeness, another subject, a fault of the site.
SOCIAL_REPLIES = {
    "greeting": "Bonjour ! Je suis l'assistant de l'Extranet.",
    "thanks": "Avec plaisir !",
    "goodbye": "Au revoir, et bonne journée !",
    "small_talk": "Je suis là si vous avez besoin de moi.",
}
SOCIAL_HINT = (
    "Posez-moi votre question sur l'Extranet (compte, invitation, mot de passe, accès…), "
    "ou tapez « aide » pour voir ce que je sais faire."
)
FAQ_OFF_TOPIC = (
    "Ce helpdesk ne couvre que l'Extranet : compte, invitation, mot de passe, accès. "
    "Pour le wifi, Smartschool, les congés, les fiches de paie, les imprimantes ou le matériel "
    "de l'école, adressez-vous au secrétariat ou à la direction de votre école."
)
FAQ_OFF_TOPIC_LAST_RESORT = "En dernier recours, s'il s'agit bien de l'Extranet : {helpdesk_email}"
FAQ_PROBLEM = (
    "Cela ressemble à un problème de l'Extranet lui-même : la FAQ ne peut pas le régler, "
    "le helpdesk oui. Ouvrez une demande en précisant votre navigateur, votre appareil et "
    "l'heure du problème : c'est ce qui permet de le retrouver."
)
FAQ_PROBLEM_BUTTON = "Signaler le problème"
# The ticket's description, ready for the details the helpdesk needs to find the fault.
PROBLEM_DETAILS = (
    "Ma question : « {question} »\n\n"
    "Navigateur (Chrome, Edge, Firefox, Safari…) : \n"
    "Appareil (ordinateur, tablette, téléphone) : \n"
    "Heure du problème : le {date} vers {time}\n"
    "Ce que vous faisiez et le message affiché : \n"
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

# -- the person's diagnosis after an access question, and its actions (features/diagnosis.py)
DIAG_RESET = "M'envoyer un lien de réinitialisation"
DIAG_REMIND = "Prévenir ma direction"
DIAG_TICKET = "Ouvrir une demande avec ce diagnostic"
DIAG_NEXT = "À faire : {step}"
DIAG_WHO = "Par : {who}"
DIAG_UNKNOWN = (
    "Pour que je regarde votre situation (invitation, lien, adresse, blocage), reliez "
    "d'abord votre compte : /extranet lier."
)
DIAG_NOT_INVITED_YET = (
    "Je n'ai pas renvoyé d'invitation : votre direction ne vous en a pas encore envoyé. "
    "C'est elle qui décide qui est invité ; vous pouvez la prévenir avec « Prévenir ma "
    "direction »."
)
DIAG_TICKET_QUESTION = "{question}\n\nDiagnostic de l'Extranet :\n{diagnosis}"
# Directors: a colleague's situation, and the addresses to fix in ProECO.
DIAG_RESEND_COLLEAGUE = "Renvoyer l'invitation"
DIAG_SEND_COLLEAGUE = "Envoyer l'invitation"
DIAG_TO_FIX_BUTTON = "Adresses à corriger dans ProECO"
DIAG_TO_FIX_TITLE = "Adresses à faire corriger dans ProECO par le secrétariat — {school}"
DIAG_TO_FIX_LINE = "• {name} : {email} — {reason}"
DIAG_TO_FIX_NONE = "Aucune adresse à corriger pour {school}."
DIAG_TO_FIX_MISSING = "aucune adresse"
DIAG_TO_FIX_INVALID = "adresse invalide"
DIAG_CHOOSE_COLLEAGUE = "Plusieurs personnes de votre équipe correspondent : laquelle ?"
# Helpdesk agents: /diagnostic.
DIAG_USAGE = (
    "Utilisation : /diagnostic ADRESSE, ou /diagnostic NOM PRÉNOM FASE "
    "(par exemple /diagnostic Lambert Nadia 4321)."
)
DIAG_AGENTS_ONLY = "Le diagnostic d'une autre personne est réservé aux agents du helpdesk."
DIAG_NOBODY = "Personne de l'annuaire ne correspond à « {query} »."
DIAG_SEVERAL = (
    "{count} personnes correspondent à « {query} » : précisez (adresse, ou nom, prénom et FASE)."
)
DIAG_MATCH = "Personne : {name} — {how}"

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


# --- Everything the director commands (`/invite-team`, `/team`, `/access`) say, in French.

# -- refusals --------------------------------------------------------------------------------
UNKNOWN_USER = (
    "Je ne vous reconnais pas : votre compte Slack n'est relié à aucun membre du personnel. "
    "Tapez /extranet lier pour relier votre compte, puis réessayez."
)
NOT_A_DIRECTOR = (
    "Cette commande est réservée aux directions d'établissement. "
    "Adressez-vous à votre direction pour toute question sur votre accès."
)
NOT_DIRECTOR_OF = "Vous ne gérez pas les accès de l'établissement FASE {fase}."
UNKNOWN_FASE = "Je ne connais pas d'établissement avec le numéro FASE {fase}."
NOT_IN_TEAM = "Cette personne ne fait pas partie de votre équipe."
BAD_REQUEST = "Cette action n'est plus valable. Relancez /invite-team."

# -- choosing an establishment ---------------------------------------------------------------
CHOOSE_ESTABLISHMENT = "Vous dirigez plusieurs établissements. Lequel voulez-vous gérer ?"
ESTABLISHMENT_BUTTON = "{name} (FASE {fase})"

# -- the team list (the sheet's screen) ---------------------------------------------------------
TEAM_TITLE = "Accès de mon équipe à l'Extranet — {name} (FASE {fase})"
TEAM_EMPTY = "Aucun membre du personnel n'est enregistré pour cet établissement dans ProECO."
TEAM_FILTER_EMPTY = "Personne ne correspond à « {query} »."
COL_STATUS = "Statut"
COL_NAME = "Nom"
COL_ROLE = "Rôle"
COL_EMAIL = "E-mail renseigné dans ProECO (le mail d'invitation sera envoyé à cette adresse)"
NO_EMAIL = "(aucune adresse)"
COUNT_LINE = "{label} : {count}"
COUNT_LABELS = {
    "will_be_invited": "Recevront un email d'invitation",
    "invited": "Invitation envoyée, compte pas encore activé",
    "active": "Compte activé",
    "email_to_fix": "Adresse e-mail manquante ou invalide",
    "left": "Ont quitté l'établissement",
}
DELIVERY_FAILURES_COUNT = "Échecs d'envoi"
TO_FIX_TITLE = "À corriger dans ProECO, puis renvoyer :"
TO_FIX_LINE = "• {name} — {email}"
TO_FIX_MORE = "… et {count} autres (voir la liste complète en CSV)."
TO_FIX_HINT = (
    "L'adresse se corrige dans ProECO, jamais ici ; quelques jours plus tard, la correction "
    "apparaît dans cette liste et vous pourrez renvoyer l'invitation."
)
# Invited or to invite, yet not written to by a send now (cooldown, refused address…).
HELD_TITLE = "Ne recevront pas d'e-mail si vous envoyez maintenant :"
HELD_LINE = "• {name} — {reason}"
PAGE_NOTE = "Page {page} / {pages} — {count} personne(s)"
FILTER_NOTE = "Filtre : {query} — {count} personne(s)"

SEND_BUTTON = "Envoyer les emails d'invitation destinés à mon équipe ({count})"
RESEND_BUTTON = "Renvoyer aux personnes qui n'ont pas encore activé leur compte ({count})"
NEXT_PAGE = "Page suivante"
PREVIOUS_PAGE = "Page précédente"
CSV_BUTTON = "Télécharger la liste complète (CSV)"
CSV_TITLE = "Équipe — {name} (FASE {fase})"
CSV_COMMENT = "La liste complète de votre équipe ({count} personnes), à ouvrir dans Excel."

SEND_CONFIRM_TITLE = "Envoyer les invitations ?"
SEND_CONFIRM_TEXT = (
    "{count} personne(s) recevront un email les invitant à activer leur compte Extranet. "
    "Chacune devra choisir un mot de passe personnel."
)
RESEND_CONFIRM_TITLE = "Renvoyer les invitations ?"
RESEND_CONFIRM_TEXT = (
    "{count} personne(s) invitée(s) n'ont pas encore activé leur compte : elles recevront un "
    "nouveau lien, l'ancien ne fonctionnera plus."
)
CONFIRM = "Envoyer"
DENY = "Annuler"
NOTHING_TO_SEND = "Personne n'attend d'invitation pour le moment : rien à envoyer."

# -- sending -------------------------------------------------------------------------------
SEND_STARTED = "Envoi des invitations en cours pour {name} (FASE {fase})…"
SEND_LABEL = "Envoi"
ALREADY_RUNNING = (
    "Un envoi d'invitations est déjà en cours pour cet établissement : {done} / {total}. "
    "Chaque personne ne recevra qu'un seul email."
)
ALREADY_DONE = "Cet envoi a déjà été fait :"
REFRESH = "Actualiser"
SUMMARY_TITLE = "Invitations — {name} (FASE {fase})"
SUMMARY_SENT = "Emails d'invitation envoyés"
SUMMARY_SKIPPED = "Non envoyés"
SUMMARY_FAILED = "Échecs d'envoi"
SUMMARY_LINE = "• {name} — {reason}"
SUMMARY_MORE = "… et {count} autres."
SUMMARY_NONE = "Personne n'attendait d'invitation : aucun email envoyé."
SUMMARY_HINT = "Les échecs de remise apparaîtront dans la liste (« Échec d'envoi : … »)."
SEND_FAILED = (
    "L'envoi s'est interrompu : {done} / {total} traités. Les emails déjà préparés partiront ; "
    "relancez l'envoi pour les autres (personne ne recevra deux fois le même email)."
)

# -- /team ----------------------------------------------------------------------------------
RESEND_ONE = "Renvoyer l'invitation"
CUSTOMIZE = "Personnaliser l'accès"
RESEND_ONE_DONE = "Invitation renvoyée à {name} ({email})."
TEAM_HELP = (
    "Filtres possibles : un statut (à inviter, invité, activé, à corriger, parti), une fonction "
    "(enseignant, éducateur…) ou un nom. Exemple : /team {fase} activé"
)

# -- the directors' weekly digest (scheduler) and /team recap -------------------------------
DIGEST_TITLE = "Le point de la semaine sur l'accès de votre équipe"
DIGEST_SCHOOL = "{name} (FASE {fase})"
DIGEST_TO_INVITE = "Nouveaux membres du personnel à inviter ({count}) :"
DIGEST_TO_FIX = "Adresses e-mail à corriger dans ProECO ({count}) :"
DIGEST_NOT_ACTIVATED = "Invités qui n'ont pas encore activé leur compte ({count}) :"
DIGEST_GRANTS_ENDING = "Accès de mission qui se terminent dans les 14 jours ({count}) :"
DIGEST_PERSON = "• {name}"
DIGEST_PERSON_FUNCTION = "• {name} ({function})"
DIGEST_PERSON_EMAIL = "• {name} — {email}"
DIGEST_PERSON_SINCE = "• {name} — invitation du {since}"
DIGEST_GRANT = "• {name} — {mission}, jusqu'au {day} inclus"
DIGEST_MORE = "… et {count} autres (voir la liste complète en CSV)."
DIGEST_NO_EMAIL = "aucune adresse"
DIGEST_REMINDERS = (
    "Un rappel leur est envoyé automatiquement ; vous pouvez aussi renvoyer l'invitation."
)
DIGEST_INVITE_BUTTON = "Inviter mon équipe (/invite-team)"
DIGEST_OFF_BUTTON = "Ne plus recevoir ce récapitulatif"
DIGEST_FOOTER = (
    "Ce récapitulatif arrive chaque semaine quand il y a quelque chose à signaler. "
    "« /team recap off » l'arrête, « /team recap on » le rétablit."
)
DIGEST_TURNED_OFF = (
    "Vous ne recevrez plus le récapitulatif hebdomadaire. « /team recap on » le rétablit."
)
DIGEST_TURNED_ON = (
    "Vous recevrez le récapitulatif hebdomadaire quand il y a quelque chose à signaler."
)
DIGEST_STATUS_ON = "Le récapitulatif hebdomadaire est activé. « /team recap off » l'arrête."
DIGEST_STATUS_OFF = "Le récapitulatif hebdomadaire est désactivé. « /team recap on » le rétablit."

# -- /access --------------------------------------------------------------------------------
ACCESS_USAGE = "Indiquez le nom de la personne : /access NOM"
ACCESS_NOBODY = "Personne de votre équipe ne correspond à « {query} »."
ACCESS_CHOOSE = "Plusieurs personnes correspondent à « {query} ». Laquelle ?"
ACCESS_TITLE = "Accès de {name} — {establishment} (FASE {fase})"
ACCESS_FUNCTION = "Selon sa fonction dans ProECO ({function}) :"
ACCESS_GRANTS = "Accès de mission :"
ACCESS_NO_GRANTS = "Aucun accès de mission."
ACCESS_GRANT = "Mission « {mission} » : {resources}\nAccordé par {by} le {since}, {until}."
ACCESS_GRANT_REASON = "Motif : {reason}"
ACCESS_UNTIL = "jusqu'au {day} inclus"
ACCESS_NO_END = "sans date de fin"
ACCESS_ALL = "Au total : {resources}"
ACCESS_LEFT = "Cette personne a quitté l'établissement : elle n'a plus d'accès."
UNKNOWN_GRANTOR = "(inconnu)"
ADD_GRANT = "Ajouter un accès de mission"
# A director looking at their own row: a grant to oneself is refused, so none is offered.
ACCESS_SELF = "C'est votre propre accès : un accès de mission ne se donne pas à soi-même."
REMOVE_GRANT = "Retirer « {mission} »"
REMOVE_CONFIRM_TITLE = "Retirer cet accès ?"
REMOVE_CONFIRM_TEXT = "{name} perdra à l'instant les accès de la mission « {mission} »."
REMOVE_CONFIRM = "Retirer"
REMOVE_FORM_TITLE = "Retirer l'accès"
REMOVE_REASON_HINT = "Il est gardé dans l'historique des accès (par exemple « Fin de la mission »)."
GRANT_ADDED = "Accès de mission « {mission} » ajouté pour {name}."
GRANT_REMOVED = "Accès de mission « {mission} » retiré pour {name}."

FORM_TITLE = "Accès de mission"
FORM_SUBMIT = "Ajouter"
FORM_INTRO = "Accès supplémentaires pour {name}, en plus de ceux de sa fonction ({function})."
FORM_GIVEN = "Déjà donné par sa fonction (non proposé ci-dessous) : {resources}."
FORM_ALL_GIVEN = (
    "Sa fonction donne déjà toutes les ressources de l'Extranet : il n'y a rien à ajouter."
)
FIELD_MISSION = "Mission"
FIELD_MISSION_HINT = "Par exemple « Coordination pédagogique »."
FIELD_RESOURCES = "Ressources de l'Extranet"
FIELD_ENDS_ON = "Jusqu'au"
FIELD_ENDS_ON_HINT = (
    "Dernier jour inclus ; sans date, l'accès dure jusqu'à ce que vous le retiriez."
)
FIELD_REASON = "Motif"
