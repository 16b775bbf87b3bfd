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
    "reply": "Réponse au demandeur",
    "note": "Note interne",
    "requester_reply": "Message du demandeur",
    "resolved": "Marqué comme résolu",
    "confirmed": "Résolution confirmée par le demandeur",
    "reopened": "Rouvert par le demandeur",
    "emailed_helpdesk": "Transmis par e-mail au helpdesk",
    "triage_posted": "Publié dans le canal de triage",
    "identification_requested": "Identification demandée par e-mail",
    "identified": "Identification complétée par le demandeur",
    "delivery_fallback": "Message transmis par e-mail",
    "unverified_mail": "E-mail non rattaché",
    "answer_address": "Adresse de réponse",
    "acknowledgement_withheld": "Accusé de réception non envoyé",
    "bounced": "E-mail non remis",
}

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
SUBJECT_FOLLOWUP = "[{number}] Nouveau message du demandeur : {subject}"
SUBJECT_IDENTIFICATION = "[{number}] Merci de compléter votre identification"

NOT_PROVIDED = "non communiqué"
FASE_UNKNOWN_FLAG = "FASE inconnu de l'annuaire (confirmé par le demandeur)"
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
BUTTON_PRIORITY = "Priorité {label}"
BUTTON_STATUS = {
    "en_cours": "En cours",
    "en_attente": "En attente du demandeur",
    "resolu": "Résolu",
}

REPLY_FORM_TITLE = "Répondre au demandeur"
REPLY_FORM_FIELD = "Votre réponse"
REPLY_FORM_SUBMIT = "Envoyer"
REPLY_SENT_SLACK = "Réponse transmise au demandeur par message direct."
REPLY_SENT_EMAIL = "Réponse transmise au demandeur par e-mail."
NOTE_SAVED = "Note interne enregistrée : elle n'est pas transmise au demandeur."
ALREADY_RELAYED = "Ce message a déjà été transmis."
THREAD_REPLY_BY = "Réponse de {author} au demandeur :"
THREAD_REQUESTER_SAYS = "Le demandeur écrit :"
THREAD_CONFIRMED = "Le demandeur confirme que le problème est résolu."
THREAD_REOPENED = "Le demandeur indique que le problème n'est pas résolu : ticket rouvert."
THREAD_FALLBACK = "Canal de triage indisponible : ticket transmis par e-mail à {email}."
REQUESTER_RELAYED = "Message transmis au helpdesk (ticket {number})."

NOTICE_REPLY = "Réponse du helpdesk au sujet de votre demande {number} :"
NOTICE_RESOLVED = "Le helpdesk a marqué votre demande {number} comme résolue."

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

HOME_TITLE = "Helpdesk"
HOME_TEXT = "Une question sans réponse dans la FAQ ? Ouvrez une demande au helpdesk."
HOME_MY_TICKETS = "Vos demandes en cours"
HOME_COLUMNS = ("Numéro", "Objet", "Statut")

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
WEB_CHOOSE = "Choisissez…"
WEB_DONE_TITLE = "Demande envoyée"
WEB_DONE = (
    "Votre demande est enregistrée sous le numéro {number}. Un e-mail de confirmation "
    "part vers {email} ; le helpdesk vous répondra à cette adresse."
)
