"""Everything the director commands (`/invite-team`, `/team`, `/access`) say, in French."""

from __future__ import annotations

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
DELIVERY_FAILED = "Échec d'envoi : {reason}"
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

# -- /access --------------------------------------------------------------------------------
ACCESS_USAGE = "Indiquez le nom de la personne : /access NOM"
ACCESS_NOBODY = "Personne de votre équipe ne correspond à « {query} »."
ACCESS_CHOOSE = "Plusieurs personnes correspondent à « {query} ». Laquelle ?"
ACCESS_TITLE = "Accès de {name} — {establishment} (FASE {fase})"
ACCESS_FUNCTION = "Selon sa fonction dans ProECO ({function}) :"
ACCESS_GRANTS = "Accès de mission :"
ACCESS_NO_GRANTS = "Aucun accès de mission."
ACCESS_GRANT = "Mission « {mission} » : {resources}\nAccordé par {by} le {since}, {until}."
ACCESS_UNTIL = "jusqu'au {day} inclus"
ACCESS_NO_END = "sans date de fin"
ACCESS_ALL = "Au total : {resources}"
ACCESS_LEFT = "Cette personne a quitté l'établissement : elle n'a plus d'accès."
UNKNOWN_GRANTOR = "(inconnu)"
ADD_GRANT = "Ajouter un accès de mission"
REMOVE_GRANT = "Retirer « {mission} »"
REMOVE_CONFIRM_TITLE = "Retirer cet accès ?"
REMOVE_CONFIRM_TEXT = "{name} perdra à l'instant les accès de la mission « {mission} »."
REMOVE_CONFIRM = "Retirer"
GRANT_ADDED = "Accès de mission « {mission} » ajouté pour {name}."
GRANT_REMOVED = "Accès de mission « {mission} » retiré pour {name}."

FORM_TITLE = "Accès de mission"
FORM_SUBMIT = "Ajouter"
FORM_INTRO = "Accès supplémentaires pour {name}, en plus de ceux de sa fonction ({function})."
FIELD_MISSION = "Mission"
FIELD_MISSION_HINT = "Par exemple « Coordination pédagogique »."
FIELD_RESOURCES = "Ressources de l'Extranet"
FIELD_ENDS_ON = "Jusqu'au"
FIELD_ENDS_ON_HINT = (
    "Dernier jour inclus ; sans date, l'accès dure jusqu'à ce que vous le retiriez."
)
FIELD_REASON = "Motif"
