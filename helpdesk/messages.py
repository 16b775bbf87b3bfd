"""Every French word of the helpdesk that a user reads, in one place.

Handlers, e-mail templates and the web form take their wording from here, so the Slack modal,
the console and the web page say the same thing.
"""

from __future__ import annotations

from typing import Final

STATUS_LABELS: Final[dict[str, str]] = {
    "nouveau": "Nouveau",
    "en_cours": "En cours",
    "en_attente": "En attente du demandeur",
    "resolu": "Résolu",
}

PRIORITY_LABELS: Final[dict[str, str]] = {
    "basse": "Basse",
    "normale": "Normale",
    "haute": "Haute",
    "urgente": "Urgente",
}

CATEGORY_LABELS: Final[dict[str, str]] = {
    "activation": "Activation du compte",
    "invitation": "Invitation (non reçue, à renvoyer)",
    "password": "Mot de passe",
    "email": "Adresse e-mail",
    "access": "Gestion des accès",
    "other": "Autre",
}

SOURCE_LABELS: Final[dict[str, str]] = {
    "slack": "Slack",
    "console": "Console",
    "web": "Formulaire web",
    "email": "E-mail",
}

FIELD_LABELS: Final[dict[str, str]] = {
    "last_name": "Nom",
    "first_name": "Prénom",
    "fase": "N° FASE de l'établissement",
    "email": "E-mail de contact",
    "phone": "Téléphone (facultatif)",
    "category": "Catégorie",
    "subject": "Objet",
    "description": "Description",
    "confirm_unknown_fase": "Je confirme ce numéro FASE",
}

FIELD_HINTS: Final[dict[str, str]] = {
    "fase": "Le numéro officiel de l'école, en chiffres.",
    "phone": "Par exemple 02 511 22 33 ou +32 470 12 34 56.",
    "description": "Ce qui se passe, ce que vous avez déjà essayé, le message d'erreur éventuel.",
    "category": "Sans choix, elle est proposée d'après l'objet ; le helpdesk peut la changer.",
}

# Validation errors, shown next to the field they concern.
REQUIRED = "Ce champ est obligatoire."
TOO_LONG = "Ce texte est trop long ({limit} caractères au maximum)."
FASE_NOT_DIGITS = "Le numéro FASE ne contient que des chiffres."
FASE_UNKNOWN = (
    "Ce numéro FASE ne figure pas dans notre annuaire. Vérifiez-le ; "
    "s'il est correct, cochez « Je confirme ce numéro FASE »."
)
EMAIL_INVALID = "Cette adresse e-mail n'est pas valide (exemple : prenom.nom@ecole.be)."
PHONE_INVALID = (
    "Ce numéro de téléphone n'est pas valide : un numéro belge (02 511 22 33) "
    "ou international (+33 1 23 45 67 89)."
)
CATEGORY_INVALID = "Choisissez une catégorie dans la liste."

# Domain refusals (access.errors-style user messages).
TICKET_NOT_FOUND = "Le ticket {number} n'existe pas."
ALREADY_RESOLVED = "Le ticket {number} est déjà résolu."
NOT_RESOLVED = "Le ticket {number} n'attend pas de confirmation de résolution."
EMPTY_MESSAGE = "Le message est vide."
UNKNOWN_STATUS = "Statut inconnu : {value}."
UNKNOWN_PRIORITY = "Priorité inconnue : {value}."

# Events as shown in a ticket's history.
EVENT_LABELS: Final[dict[str, str]] = {
    "opened": "Ticket ouvert",
    "claimed": "Pris en charge",
    "status": "Statut modifié",
    "priority": "Priorité modifiée",
    "category": "Catégorie modifiée",
    "reply": "Réponse au demandeur",
    "note": "Note interne",
    "requester_reply": "Message du demandeur",
    "resolved": "Marqué comme résolu",
    "confirmed": "Résolution confirmée par le demandeur",
    "reopened": "Rouvert par le demandeur",
    "waiting_reminder": "Rappel envoyé au demandeur",
    "auto_closed": "Clôturé faute de réponse du demandeur",
    "emailed_helpdesk": "Transmis par e-mail au helpdesk",
    "triage_posted": "Publié dans le canal de triage",
    "identification_requested": "Identification demandée par e-mail",
    "identified": "Identification complétée par le demandeur",
    "delivery_fallback": "Message transmis par e-mail",
    "unverified_mail": "E-mail non rattaché",
    "answer_address": "Adresse de réponse",
    "acknowledgement_withheld": "Accusé de réception non envoyé",
    "bounced": "E-mail non remis",
    "account_action": "Action sur le compte",
    "account_action_refused": "Action sur le compte non faite",
}

# The triage card's « Compte » section, and the agents' actions on the requester's account
# (helpdesk.account_actions): the button, what the requester is told, what agents read.
ACCOUNT_TITLE = "Compte"
ACCOUNT_MATCH = "Demandeur dans l'annuaire : {name} — {how}"
ACCOUNT_BUTTONS: Final[dict[str, str]] = {
    "resend": "Renvoyer l'invitation",
    "reset": "Envoyer un lien de réinitialisation",
    "unlock": "Lever le blocage de connexion",
    "remind": "Prévenir la direction",
}
ACCOUNT_TOLD: Final[dict[str, str]] = {
    "resend": (
        "Le helpdesk vous a renvoyé l'invitation à l'Extranet ({email}). Suivez le lien de ce "
        "nouvel e-mail pour activer votre compte : il remplace les liens précédents."
    ),
    "reset": (
        "Le helpdesk vous a envoyé un lien pour choisir un nouveau mot de passe ({email}). "
        "Il est valable peu de temps : utilisez-le dès que possible."
    ),
    "unlock": (
        "Le helpdesk a levé le blocage de votre connexion : vous pouvez vous connecter à "
        "nouveau avec votre adresse de référence."
    ),
    "remind": (
        "Le helpdesk a prévenu votre direction : c'est elle qui envoie les invitations à "
        "l'Extranet."
    ),
}
ACCOUNT_DONE = "{label} : fait. {told}"
ACCOUNT_NOT_DONE = "{label} : pas fait. {reason}"
ACCOUNT_THREAD = "{agent} — {outcome}"
ACCOUNT_NOT_ALLOWED = (
    "Cette action ne correspond plus à la situation du compte : la fiche vient d'être mise à jour."
)
ACCOUNT_NOT_IDENTIFIED = (
    "Le demandeur de ce ticket n'est pas reconnu avec assez de certitude pour agir sur un "
    "compte : vérifiez son identité (/diagnostic)."
)

# The address an e-mail's Reply-To asked answers to go to, beside the sender's.
REPLY_EMAIL_LABEL = "Réponses envoyées à"

# What agents read about inbound e-mail (internal notes in the ticket's history).
MAIL_UNVERIFIED: Final[dict[str, str]] = {
    "no_key": (
        "Cet e-mail cite le ticket {cited} et porte l'adresse de son demandeur comme "
        "expéditeur, mais il ne répond pas à un e-mail du helpdesk (l'adresse de réponse de "
        "nos e-mails n'y figure pas) : rien ne prouve qu'il vient de la boîte du demandeur. "
        "Il ouvre donc une nouvelle demande ; s'il est authentique, reportez-le dans {cited}."
    ),
    "other_sender": (
        "Cet e-mail cite le ticket {cited}, mais son expéditeur n'est pas le demandeur de ce "
        "ticket : il ouvre donc une nouvelle demande."
    ),
    "unknown_ticket": (
        "Cet e-mail cite le ticket {cited}, qui n'existe pas : il ouvre une nouvelle demande."
    ),
}
MAIL_UNVERIFIED_ON_CITED = (
    "Un e-mail citant ce ticket n'y a pas été ajouté ({why}) : il a ouvert la demande {number}."
)
MAIL_UNVERIFIED_WHY: Final[dict[str, str]] = {
    "no_key": "expéditeur non vérifié",
    "other_sender": "l'expéditeur n'est pas le demandeur",
}
MAIL_ANSWER_ADDRESS = (
    "L'e-mail demande une réponse à {reply}, une autre adresse que celle de son expéditeur "
    "({sender}) : les réponses du helpdesk partent à {reply}."
)
MAIL_ACKNOWLEDGEMENT_WITHHELD = (
    "Accusé de réception non envoyé : trop d'accusés de réception dans l'heure pour cette "
    "adresse ou pour l'ensemble du helpdesk (protection contre les envois en masse)."
)
MAIL_BOUNCED = "L'e-mail envoyé à {recipient} n'a pas pu être remis ({status}) : {reason}"
MAIL_BOUNCED_NO_REASON = "sans explication du serveur destinataire"
TEXT_CUT = (
    "[Message tronqué : {total} caractères au total. Le texte complet est conservé avec le "
    "ticket ; un agent le lit avec la commande « extranet-bot tickets full-text » suivie du "
    "numéro du ticket.]"
)

RESOLUTION_QUESTION = "Votre problème est-il résolu ?"
RESOLUTION_YES = "Oui"
RESOLUTION_NO = "Non"
RESOLUTION_THANKS = "Merci ! Le ticket {number} est clôturé."
RESOLUTION_REOPENED = "Le ticket {number} est rouvert : un agent du helpdesk reprend votre demande."

# The FAQ's answer the person said did not help, kept in the ticket after their own words.
FAQ_NOT_HELPFUL_IN_DESCRIPTION = (
    "Réponse de la FAQ affichée, qui ne m'a pas aidé(e) : « {question} »"
)

# The FAQ answers a ticket form offers before sending (Slack: after the first « Envoyer »).
FAQ_STEP_INTRO = "Avant d'envoyer : ces réponses de la FAQ règlent peut-être votre problème."
FAQ_STEP_OUTRO = (
    "Si aucune ne convient, envoyez le formulaire : votre demande part au helpdesk avec tout "
    "ce que vous avez écrit."
)
FAQ_STEP_FIELD = "Aucune de ces réponses ne convient ? Gardez ou précisez l'objet, puis envoyez."

TICKET_OPENED = "Votre demande est enregistrée sous le numéro {number}."
TICKET_ANSWER_HERE = (
    "Le helpdesk vous répondra ici, dans ce fil ; vous pouvez y ajouter un message."
)
TICKET_ANSWER_BY_EMAIL = "Le helpdesk vous répondra par e-mail ({email})."
TICKET_ALREADY_OPENED = "Cette demande est déjà enregistrée sous le numéro {number}."

# E-mail subjects (the ticket number always sits in brackets, so replies find their ticket).
SUBJECT_TO_HELPDESK = "[{number}] {subject}"
SUBJECT_ACKNOWLEDGED = "[{number}] Votre demande au helpdesk Extranet est enregistrée"
SUBJECT_REPLY = "[{number}] Réponse du helpdesk Extranet : {subject}"
SUBJECT_RESOLVED = "[{number}] Votre demande est résolue : {subject}"
# « Re: » and the same subject as the ticket's copy: the help address's mailbox threads them.
SUBJECT_FOLLOWUP = "Re: [{number}] {subject}"
SUBJECT_WAITING_REMINDER = "[{number}] Le helpdesk attend votre réponse : {subject}"
SUBJECT_CLOSED = "[{number}] Votre demande est clôturée : {subject}"
SUBJECT_IDENTIFICATION = "[{number}] Merci de compléter votre identification"
# The acknowledgement of a ticket opened by e-mail answers that e-mail, under its subject.
SUBJECT_ACKNOWLEDGED_REPLY = "Re: {subject} [{number}]"
SUBJECT_IDENTIFICATION_SUFFIX = "— merci de compléter votre identification"

NOT_PROVIDED = "non communiqué"
FASE_UNKNOWN_FLAG = "FASE inconnu de l'annuaire (confirmé par le demandeur)"
# Given in an e-mail: nobody was asked to confirm it.
FASE_UNKNOWN_FLAG_EMAIL = "FASE inconnu de l'annuaire (donné par e-mail, à vérifier)"
UNASSIGNED = "Non attribué"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


def priority_label(priority: str) -> str:
    return PRIORITY_LABELS.get(priority, priority)


# Measures (`/tickets stats`, `extranet-bot tickets stats`).
STATS_TITLE = "Helpdesk : tickets ouverts et délais (30 derniers jours)"
STATS_OPEN_TOTAL = "Tickets ouverts"
STATS_OPEN_STATUS = "Ouverts — {label}"
STATS_OPEN_CATEGORY = "Ouverts — {label}"
STATS_OPENED = "Tickets reçus (30 j)"
STATS_RESOLVED = "Tickets résolus (30 j)"
STATS_FIRST_RESPONSE = "Délai médian de première réponse"
STATS_RESOLUTION = "Délai médian de résolution"
STATS_ACCOUNT_RESOLVED = "Tickets résolus après une action sur le compte (30 j)"
STATS_ACCOUNT_RESOLUTION = "Délai médian de résolution (action sur le compte)"
STATS_DEFLECTION = "Questions réglées par la FAQ"
STATS_DEFLECTION_VALUE = "{rate} % ({deflected} sur {questions})"
STATS_NONE = "—"


def duration_fr(seconds: float | None) -> str:
    """« 2 h 05 min », « 3 j 4 h », « 12 min »: readable at a glance."""
    if seconds is None:
        return STATS_NONE
    minutes = round(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} j {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


# --- chat (bot/conversation/tickets*.py) ------------------------------------------------------
CONTACT_BUTTON = "Contacter le helpdesk"
FORM_TITLE = "Contacter le helpdesk"
FORM_SUBMIT = "Envoyer"
FORM_INTRO = (
    "Le helpdesk a besoin de vous identifier précisément : nom, prénom, "
    "numéro FASE de l'école et coordonnées de contact."
)
FIELD_FASE_CHOICE = "N° FASE de l'établissement"
FIELD_FASE_OTHER = "Autre N° FASE (si l'école n'est pas dans la liste)"
CONFIRM_FASE_OPTION = "Je confirme ce numéro FASE"
CONFIRM_FASE_NEEDED = "Cochez cette case si le numéro FASE est correct."
QUESTION_IN_DESCRIPTION = "Ma question : « {question} »"

TRIAGE_REQUESTER = "Demandeur"
TRIAGE_FASE = "FASE"
TRIAGE_EMAIL = "E-mail"
TRIAGE_PHONE = "Téléphone"
TRIAGE_CATEGORY = "Catégorie"
TRIAGE_SOURCE = "Source"
TRIAGE_STATUS = "Statut"
TRIAGE_PRIORITY = "Priorité"
TRIAGE_ASSIGNEE = "Pris en charge par"
TRIAGE_FASE_UNKNOWN = "{fase} ⚠ inconnu de l'annuaire (confirmé par le demandeur)"
TRIAGE_FASE_UNKNOWN_EMAIL = "{fase} ⚠ inconnu de l'annuaire (donné par e-mail, à vérifier)"
TRIAGE_PROPOSED_FAQ = "FAQ proposée avant le ticket : {ids}"
# Resolving a ticket that came from the FAQ: which entry would have answered (faq.learning).
FAQ_LEARN_ASK = (
    "Cette demande venait de la FAQ : « {question} ». Quelle entrée de la FAQ y aurait "
    "répondu ? La question deviendra une formulation proposée de cette entrée."
)
FAQ_LEARN_OTHER = "Autre entrée…"
FAQ_LEARN_NONE = "Aucune : nouveau sujet"
FAQ_LEARN_CHANGE = "Modifier"
FAQ_LEARN_PROPOSED = "FAQ : « {phrasing} » proposée comme formulation de « {entry} »."
FAQ_LEARN_NEW_TOPIC = "FAQ : « {phrasing} » notée comme nouveau sujet, sans entrée."
FAQ_LEARN_DECIDED = "FAQ : la formulation proposée a été {status} dans la base."
FAQ_LEARN_STATUS = {"accepted": "acceptée", "rejected": "refusée"}
FAQ_LEARN_FORM_TITLE = "Entrée de la FAQ"
FAQ_LEARN_FORM_INTRO = (
    "Quelle entrée aurait répondu à cette question ? Raccourcissez la question à ce qui "
    "demande ; les adresses, numéros et noms sont masqués à l'enregistrement."
)
FAQ_LEARN_FORM_ENTRY = "Entrée"
FAQ_LEARN_FORM_PHRASING = "Formulation proposée"
FAQ_LEARN_FORM_SUBMIT = "Enregistrer"
FAQ_LEARN_SAVED = "C'est noté : la formulation est proposée pour la FAQ."
FAQ_LEARN_UNAVAILABLE = "Cette demande ne venait pas de la FAQ, ou sa réponse est déjà décidée."
FAQ_LEARN_UNKNOWN_ENTRY = "Cette entrée n'existe plus dans la FAQ ; choisissez-en une autre."
FAQ_LEARN_TOO_SHORT = "Écrivez au moins quelques mots de la question."
TRIAGE_MISSING = "Identification à compléter (demandée par e-mail) : {fields}"
TRIAGE_HELP = "Répondez dans ce fil pour écrire au demandeur ; « note: … » reste interne."
BUTTON_CLAIM = "Prendre en charge"
BUTTON_REPLY = "Répondre"
BUTTON_NOTE = "Note interne"
BUTTON_PRIORITY = "Priorité {label}"
BUTTON_CATEGORY = "Changer la catégorie"
BUTTON_STATUS = {
    "en_cours": "En cours",
    "en_attente": "En attente du demandeur",
    "resolu": "Résolu",
}

CATEGORY_FORM_TITLE = "Catégorie du ticket"
CATEGORY_FORM_SUBMIT = "Enregistrer"

REPLY_FORM_TITLE = "Répondre au demandeur"
REPLY_FORM_FIELD = "Votre réponse"
REPLY_FORM_SUBMIT = "Envoyer"
REPLY_SENT_SLACK = "Réponse transmise au demandeur par message direct."
REPLY_SENT_EMAIL = "Réponse transmise au demandeur par e-mail."
NOTE_SAVED = "Note interne enregistrée : elle n'est pas transmise au demandeur."
NOTE_FORM_TITLE = "Note interne"
NOTE_FORM_FIELD = "Votre note (réservée au helpdesk : le demandeur ne la voit pas)"
NOTE_FORM_SUBMIT = "Enregistrer"
THREAD_NOTE_BY = "Note interne de {author} :"
ALREADY_RELAYED = "Ce message a déjà été transmis."
THREAD_REPLY_BY = "Réponse de {author} au demandeur :"
THREAD_REQUESTER_SAYS = "Le demandeur écrit :"
THREAD_CONFIRMED = "Le demandeur confirme que le problème est résolu."
THREAD_REOPENED = "Le demandeur indique que le problème n'est pas résolu : ticket rouvert."
THREAD_FALLBACK = "Canal de triage indisponible : ticket transmis par e-mail à {email}."
REQUESTER_RELAYED = "Message transmis au helpdesk (ticket {number})."

NOTICE_REPLY = "Réponse du helpdesk au sujet de votre demande {number} :"
NOTICE_RESOLVED = "Le helpdesk a marqué votre demande {number} comme résolue."
NOTICE_WAITING_REMINDER = "Rappel au sujet de votre demande {number} :"
NOTICE_CLOSED = "Votre demande {number} est clôturée."

# The scheduler's follow-up of tickets that wait for the requester (helpdesk.followup).
WAITING_REMINDER = (
    "Le helpdesk attend votre réponse au sujet de votre demande {number} (« {subject} ») "
    "depuis le {since}. Sans nouvelles de votre part, elle sera clôturée le {close_on}. "
    "Pour la poursuivre, répondez simplement à ce message."
)
CLOSED_WITHOUT_ANSWER = (
    "Sans réponse de votre part depuis le {since}, votre demande {number} (« {subject} ») "
    "est clôturée. Si le problème persiste, répondez simplement à ce message : la demande "
    "sera rouverte."
)
CLOSED_WITHOUT_CONFIRMATION = (
    "Le helpdesk a marqué votre demande {number} (« {subject} ») comme résolue le {since} "
    "et vous a demandé : « Votre problème est-il résolu ? ». Sans réponse de votre part, "
    "la demande est clôturée. Si le problème persiste, répondez simplement à ce message : "
    "la demande sera rouverte."
)

RESOLUTION_NOT_YOURS = "Seule la personne qui a ouvert ce ticket peut répondre à cette question."
AGENTS_ONLY = "Cette commande est réservée aux agents du helpdesk (membres du canal de triage)."
AGENT_CHECK_FAILED = (
    "Impossible de vérifier pour l'instant que vous êtes agent du helpdesk (membre du canal "
    "de triage) : rien n'a été fait. Réessayez dans un instant."
)
THREAD_NOT_AGENT = (
    "Seuls les agents du helpdesk (membres du canal de triage) peuvent répondre au demandeur "
    "depuis ce fil : votre message ne lui a pas été transmis."
)
THREAD_AGENT_CHECK_FAILED = (
    "Impossible de vérifier pour l'instant que vous êtes agent du helpdesk : votre message "
    "n'a pas été transmis au demandeur. Réessayez dans un instant."
)
LIST_TITLE = "Tickets — {what} ({count})"
LIST_WHAT_OPEN = "ouverts"
LIST_WHAT_MINE = "pris en charge par vous"
LIST_WHAT_FASE = "FASE {fase}"
LIST_WHAT_STATUS = "statut « {label} »"
LIST_EMPTY = "Aucun ticket."
LIST_COLUMNS = ("Numéro", "Ouvert le", "Statut", "Priorité", "FASE", "Demandeur", "Objet")
LIST_USAGE = (
    "Usage : /tickets [mes | <FASE> | nouveau | en_cours | en_attente | resolu "
    "| T-2026-00042 | stats]"
)
HISTORY_TITLE = "Historique"
HISTORY_COLUMNS = ("Quand", "Qui", "Quoi", "Détail")
INTERNAL_MARK = "(interne)"

# A requester's own tickets (`/tickets` for someone who is not an agent; /mes-demandes).
MY_TICKETS_TITLE = "Vos demandes au helpdesk ({count})"
MY_TICKETS_EMPTY = "Vous n'avez pas encore de demande au helpdesk."
MY_TICKETS_COLUMNS = ("Numéro", "Ouverte le", "Objet", "Statut", "Dernière réponse du helpdesk")
MY_TICKETS_HINT = "« /tickets {number} » affiche toute la conversation de cette demande."
MY_TICKET_TITLE = "Demande {number} · {subject}"
MY_TICKET_COLUMNS = ("Quand", "Qui", "Quoi", "Message")
MY_TICKET_ANSWER_HINT = (
    "Pour ajouter un message, répondez dans le fil où le numéro vous a été donné."
)
MY_TICKETS_USAGE = "Usage : /tickets (vos demandes) ou /tickets T-2026-00042 (une de vos demandes)."
NO_REPLY_YET = "Pas encore de réponse"
LAST_REPLY = "{when} : {text}"
YOU = "Vous"
THE_HELPDESK = "Le helpdesk"
OPENED_ON = "Ouverte le"
CONVERSATION_LABELS: Final[dict[str, str]] = {
    "opened": "Demande envoyée",
    "reply": "Réponse du helpdesk",
    "requester_reply": "Votre message",
    "resolved": "Demande résolue",
    "confirmed": "Résolution confirmée",
    "reopened": "Demande rouverte",
}

HOME_TITLE = "Helpdesk"
HOME_TEXT = "Une question sans réponse dans la FAQ ? Ouvrez une demande au helpdesk."
HOME_MY_TICKETS = "Vos demandes en cours"
HOME_COLUMNS = ("Numéro", "Objet", "Statut")

# --- the requester's page /mes-demandes (bot/web/my_tickets.py) ------------------------------
WEB_MY_TITLE = "Mes demandes au helpdesk"
WEB_MY_INTRO = (
    "Vos demandes au helpdesk, les plus récentes d'abord, avec la dernière réponse reçue."
)
WEB_MY_NEW = "Nouvelle demande"
WEB_MY_TICKET_TITLE = "Demande {number}"
WEB_MY_BACK = "Toutes mes demandes"
WEB_MY_CONVERSATION = "Conversation"
WEB_MY_ADD = "Ajouter un message"
WEB_MY_ADD_LABEL = "Votre message"
WEB_MY_ADD_HINT = "Le helpdesk le reçoit avec votre demande ; une demande résolue est rouverte."
WEB_MY_ADD_SUBMIT = "Envoyer le message"
WEB_MY_ADDED = "Votre message est transmis au helpdesk."
WEB_MY_REOPENED = "Votre message est transmis au helpdesk : la demande est rouverte."
WEB_MY_PROBLEMS = "Le message n'a pas pu être envoyé :"

# --- the web form /support (bot/web/support.py) ---------------------------------------------
WEB_TITLE = "Contacter le support"
WEB_INTRO = (
    "Décrivez votre problème : le helpdesk vous répondra par e-mail. Pour traiter votre "
    "demande, il a besoin de vous identifier précisément : nom, prénom, numéro FASE de "
    "l'école et coordonnées de contact."
)
WEB_PROBLEMS = "Le formulaire n'a pas pu être envoyé ; corrigez les champs signalés :"
WEB_TOO_MANY = (
    "Trop de demandes ont été envoyées depuis cette adresse ou pour ce contact dans l'heure. "
    "Réessayez plus tard, ou écrivez directement au helpdesk."
)
WEB_EXPIRED = (
    "Le formulaire a expiré (ou les cookies sont désactivés). Vos informations sont "
    "conservées : renvoyez simplement le formulaire."
)
WEB_SUBMIT = "Envoyer ma demande"
WEB_CHOOSE = "Je ne sais pas (proposée d'après l'objet)"
WEB_FAQ_TITLE = "Ces réponses de la FAQ règlent peut-être votre problème"
WEB_FAQ_THEN = (
    "Si aucune ne convient, envoyez votre demande : rien de ce que vous avez écrit n'est perdu."
)
WEB_FAQ_STEP = (
    "Avant d'envoyer votre demande, voyez si l'une de ces réponses de la FAQ règle votre "
    "problème. Sinon, envoyez le formulaire à nouveau : tout ce que vous avez écrit est gardé."
)
WEB_DONE_TITLE = "Demande envoyée"
WEB_DONE = (
    "Votre demande est enregistrée sous le numéro {number}. Un e-mail de confirmation "
    "part vers {email} ; le helpdesk vous répondra à cette adresse."
)
