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


# --- The diagnosis of one person's access (access.diagnosis): the same sentences in chat, in
# the console, on the triage card and from the CLI. A pair is (said to the person, said
# about them to a director or an agent); {name} is the person's name.

DIAGNOSIS_TITLE = "Votre situation"
DIAGNOSIS_TITLE_OF = "Situation de {name}"
DIAGNOSIS_PLACE = "{school} (FASE {fase}) : {function}"
DIAGNOSIS_PLACE_ENDED = "{school} (FASE {fase}) : {function}, a quitté l'établissement le {date}"
DIAGNOSIS_ACTIVE = ("Votre compte est activé depuis le {date}.", "Compte activé le {date}.")
DIAGNOSIS_ACTIVE_UNDATED = ("Votre compte est activé.", "Compte activé.")
DIAGNOSIS_DISABLED = ("Votre compte Extranet est désactivé.", "Compte Extranet désactivé.")
DIAGNOSIS_LEFT = (
    "Selon ProECO, vous ne faites plus partie du personnel d'aucun établissement.",
    "Selon ProECO, {name} ne fait plus partie du personnel d'aucun établissement.",
)
DIAGNOSIS_NOT_SENT = (
    "Votre direction n'a pas encore envoyé les invitations pour {school}.",
    "La direction n'a pas encore envoyé les invitations pour {school}.",
)
DIAGNOSIS_NOT_YOU_YET = (
    "Votre direction a envoyé les invitations pour {school} le {date}, mais pas encore à vous.",
    "La direction a envoyé les invitations pour {school} le {date}, mais pas encore à {name}.",
)
DIAGNOSIS_EMAIL_MISSING = (
    "Aucune adresse e-mail n'est renseignée pour vous dans ProECO.",
    "Aucune adresse e-mail n'est renseignée dans ProECO.",
)
DIAGNOSIS_EMAIL_INVALID = (
    "L'adresse renseignée dans ProECO ({email}) n'est pas valide.",
    "L'adresse renseignée dans ProECO ({email}) n'est pas valide.",
)
DIAGNOSIS_EMAIL_PROECO = ("Adresse e-mail dans ProECO : {email}.",) * 2
DIAGNOSIS_EMAIL_REFERENCE = ("Adresse de référence (pour se connecter) : {email}.",) * 2
DIAGNOSIS_INVITED = (
    "Une invitation vous a été envoyée le {date} à {email}{by}",
    "Une invitation a été envoyée le {date} à {email}{by}",
)
DIAGNOSIS_INVITED_BY = " par {sender}"
DIAGNOSIS_INVITED_BY_SELF = (" à votre demande", " à sa demande")
DIAGNOSIS_INVITED_BY_HELPDESK = " par le helpdesk"
DIAGNOSIS_DELIVERY = {
    "queued": " ; elle est en cours d'envoi.",
    "retrying": (
        " ; le serveur de messagerie ne l'a pas encore acceptée ({reason}), "
        "nouvel essai vers {time}."
    ),
    "accepted": " ; le serveur de messagerie l'a acceptée le {when}.",
    "refused": " ; le serveur de messagerie l'a refusée : {reason}.",
    "bounced": " ; elle a été acceptée, puis renvoyée le {when} : {reason}.",
    "unknown": ".",
}
DIAGNOSIS_LINK = {
    "valid": ("Votre lien est valable jusqu'au {date}.", "Le lien est valable jusqu'au {date}."),
    "expired": ("Votre lien a expiré le {date}.", "Le lien a expiré le {date}."),
    "used": ("Votre lien a servi le {date}.", "Le lien a servi le {date}."),
    "revoked": (
        "Votre lien n'est plus valable : l'adresse a changé dans ProECO depuis son envoi.",
        "Le lien n'est plus valable : l'adresse a changé dans ProECO depuis son envoi.",
    ),
}
DIAGNOSIS_LOCKED = ("Connexion bloquée jusqu'à {time} après trop d'essais.",) * 2
DIAGNOSIS_EMAIL_CHANGE = (
    "Le passage de votre adresse de référence à {email} attend votre confirmation "
    "(lien envoyé à cette adresse, valable jusqu'au {date}).",
    "Le passage de l'adresse de référence à {email} attend sa confirmation "
    "(lien valable jusqu'au {date}).",
)
DIAGNOSIS_REMINDED = (
    "Vous avez prévenu votre direction le {date}.",
    "{name} a prévenu sa direction le {date}.",
)
# Why a mail server would not deliver (access.diagnosis.model.Failure), after « : ».
DIAGNOSIS_FAILURES = {
    "unknown_mailbox": "boîte inconnue",
    "unknown_domain": "domaine de messagerie inconnu",
    "bad_address": "adresse mal écrite",
    "mailbox_full": "boîte pleine",
    "mailbox_disabled": "boîte désactivée",
    "rejected": "refusée par le filtre du destinataire",
    "unreachable": "serveur de messagerie injoignable",
}
# The one step that would unblock the person (access.diagnosis.model.Action).
DIAGNOSIS_NEXT = {
    "sign_in": (
        "Rien ne bloque : connectez-vous avec votre adresse de référence. Mot de passe "
        "oublié ? Recevez un lien pour en choisir un nouveau.",
        "Rien ne bloque : la connexion se fait avec l'adresse de référence ; un lien de "
        "réinitialisation aide si le mot de passe est perdu.",
    ),
    "reset_password": (
        "Attendez la fin du blocage, ou choisissez un nouveau mot de passe : cela lève "
        "le blocage tout de suite.",
        "Un nouveau mot de passe (lien de réinitialisation) ou la levée du blocage "
        "débloque la connexion.",
    ),
    "activate": (
        "Ouvrez l'e-mail d'invitation (regardez aussi dans les courriers indésirables) et "
        "suivez son lien. Introuvable ? Demandez un nouvel envoi.",
        "Il suffit de suivre le lien de l'e-mail d'invitation (peut-être dans les courriers "
        "indésirables) ; un nouvel envoi est possible.",
    ),
    "wait_delivery": (
        "L'e-mail est en route : patientez quelques minutes.",
        "L'e-mail est en route : patienter quelques minutes.",
    ),
    "resend_invitation": (
        "Il vous faut une nouvelle invitation : elle peut vous être renvoyée tout de suite.",
        "Il faut renvoyer l'invitation.",
    ),
    "remind_direction": (
        "C'est votre direction qui envoie les invitations : vous pouvez la prévenir que "
        "vous attendez la vôtre.",
        "C'est la direction qui doit envoyer l'invitation.",
    ),
    "fix_email_in_proeco": (
        "Votre adresse doit être corrigée dans ProECO par le secrétariat ; après la "
        "synchronisation, votre direction pourra vous renvoyer l'invitation.",
        "L'adresse doit être corrigée dans ProECO par le secrétariat de l'école ; après la "
        "synchronisation, la direction pourra renvoyer l'invitation.",
    ),
    "confirm_email_change": (
        "Cliquez sur le lien envoyé à votre nouvelle adresse pour confirmer le changement.",
        "Le changement d'adresse attend le clic sur le lien envoyé à la nouvelle adresse.",
    ),
    "left": (
        "Si c'est une erreur, le secrétariat de votre école doit corriger ProECO.",
        "Si c'est une erreur, le secrétariat de l'école doit corriger ProECO.",
    ),
    "contact_helpdesk": (
        "Le helpdesk doit examiner votre situation : ouvrez une demande avec ce diagnostic.",
        "Le helpdesk doit examiner la situation.",
    ),
}
# The remind step once the direction was told this week (« Prévenir ma direction »).
DIAGNOSIS_NEXT_REMINDED = (
    "Votre direction est prévenue ; si l'invitation n'arrive pas dans les jours qui viennent, "
    "ouvrez une demande au helpdesk.",
    "La direction est prévenue ; sans invitation dans les jours qui viennent, le helpdesk "
    "peut relancer.",
)
DIAGNOSIS_WHO = {
    "person": "la personne elle-même",
    "direction": "la direction de l'école",
    "secretariat": "le secrétariat de l'école (dans ProECO)",
    "helpdesk": "le helpdesk",
    "nobody": "personne : patienter",
}
DIAGNOSIS_NEXT_LABEL = "À faire"
DIAGNOSIS_WHO_LABEL = "Par"
# The director's list (/team, /invite-team): what became of an invitation, instead of its status.
DELIVERY_REFUSED = "Invitation du {date} refusée par le serveur : {reason}"
DELIVERY_BOUNCED = "Invitation du {date} non remise (renvoyée par le serveur) : {reason}"
DELIVERY_LINK_EXPIRED = "Invitation envoyée le {date} — lien expiré le {expired}"
# « Prévenir ma direction »: the one e-mail the directors receive (subject in the template).
REMINDER_SENT = (
    "C'est fait : {count} membre(s) de la direction ({schools}) ont reçu un message disant "
    "que vous attendez votre invitation."
)
REMINDER_ALREADY = (
    "Votre direction a déjà été prévenue le {date} ; vous pourrez la prévenir à nouveau "
    "à partir du {next}."
)
REMINDER_NOBODY = (
    "Je ne trouve aucune direction joignable par e-mail pour votre école : ouvrez une demande "
    "au helpdesk, qui s'en chargera."
)
REMINDER_NOT_NEEDED = "Votre direction n'a pas besoin d'être prévenue : {reason}"
# The person's own action from « Mon accès » or the e-mail « Votre situation »
# (access.diagnosis.self_service, by_mail).
OWN_RESENT = (
    "C'est fait : votre invitation part vers {email}. Suivez le lien de l'e-mail pour activer "
    "votre compte."
)
OWN_NOT_RESENT = "L'invitation n'a pas été renvoyée : {reason}."
OWN_NOT_INVITED = (
    "Aucune invitation n'a été renvoyée : votre direction ne vous en a pas encore envoyé. "
    "C'est elle qui décide qui est invité ; vous pouvez la prévenir avec « Prévenir ma "
    "direction »."
)
OWN_NOTHING_TO_DO = "Il n'y a rien à faire de plus ici pour le moment."
OWN_NOT_FITTING = "Cette action ne correspond plus à votre situation : {step}"
# The public page « Ma situation »: one answer whatever the address (nothing enumerated).
SITUATION_REQUESTED = (
    "Si cette adresse est celle d'un membre du personnel connu de l'Extranet, un e-mail "
    "« Votre situation » vient d'y être envoyé : il dit ce qui bloque votre accès et ce qu'il "
    "faut faire. Pensez à vérifier vos courriers indésirables."
)
SITUATION_TOO_MANY = (
    "Trop de demandes en peu de temps depuis cet appareil ou ce réseau. Patientez une heure "
    "avant de réessayer, ou contactez le support."
)
SITUATION_LINK_INVALID = (
    "Ce lien n'est plus valable : il a déjà servi, il a expiré ou un e-mail plus récent l'a "
    "remplacé. Demandez à nouveau votre situation pour recevoir un nouveau lien."
)
# How sure the helpdesk's card is of who wrote (access.diagnosis.matching.Confidence).
DIAGNOSIS_MATCH = {
    "linked": "reconnu·e par son compte de chat relié (sûr)",
    "email": "reconnu·e par son adresse e-mail (sûr)",
    "name_fase": "reconnu·e par le nom et le FASE (probable : vérifiez l'adresse avant d'agir)",
    "near_name_fase": (
        "nom proche dans cet établissement (incertain : vérifiez l'identité avant d'agir)"
    ),
    "ambiguous": "{count} personnes correspondent : précisez avant d'agir",
    "none": "aucune personne de l'annuaire ne correspond (adresse, nom et FASE)",
}
UNBLOCKED = "Le blocage de connexion de {name} est levé."
NOT_BLOCKED = "La connexion de {name} n'est pas bloquée."
NO_SIGN_IN_ADDRESS = "{name} n'a pas encore d'adresse de connexion (compte non activé)."


# --- French wording of the account's life: password rules, activation, sign-in and reset.

# Password rules (access.accounts.passwords).
PASSWORD_TOO_SHORT = "Le mot de passe doit compter au moins {minimum} caractères visibles."
PASSWORD_TOO_LONG = "Le mot de passe ne peut pas dépasser {maximum} caractères."
PASSWORD_TOO_COMMON = (
    "Ce mot de passe fait partie des mots de passe les plus utilisés : choisissez-en un autre."
)
PASSWORD_CONTAINS_NAME = "Trop facile à deviner : il contient votre nom ou votre prénom."
PASSWORD_CONTAINS_EMAIL = "Trop facile à deviner : il contient votre adresse e-mail."
PASSWORD_CONTAINS_SCHOOL = "Trop facile à deviner : il contient le nom de votre école."
PASSWORD_CONTAINS_PRODUCT = (
    "Trop facile à deviner : il contient le nom du site ou d'un outil de l'école "
    "(Extranet, SeGEC, ProECO)."
)
# What the strength estimate found, one sentence per kind of pattern.
PASSWORD_KEYBOARD = "Trop prévisible : une suite du clavier (azerty, qsdf, qwerty…)."
PASSWORD_SEQUENCE = "Trop prévisible : une suite logique (abcd, 1234, 9876…)."
PASSWORD_REPEAT = "Trop prévisible : des caractères ou des mots répétés (aaaa, 1212, abcabc…)."
PASSWORD_DATE = "Trop prévisible : une date ou une année."
PASSWORD_COMMON_PART = "Trop prévisible : il reprend un mot de passe très courant."
PASSWORD_COMMON_WORDS = (
    "Trop prévisible : quelques mots ou prénoms très courants. Ajoutez d'autres mots."
)
PASSWORD_L33T = (
    "Remplacer des lettres par des chiffres ou des symboles (@ pour a, 3 pour e…) "
    "ne le rend pas plus difficile à deviner."
)
PASSWORD_REVERSED = "Un mot écrit à l'envers reste facile à deviner."
PASSWORD_TOO_GUESSABLE = (
    "Trop facile à deviner : allongez-le, par exemple avec une phrase de quatre ou cinq mots."
)
PASSWORD_MISMATCH = "Les deux mots de passe ne sont pas identiques."
PASSWORD_RULES = (
    "Au moins {minimum} caractères visibles : une phrase de quelques mots convient très bien. "
    "Évitez ce qui se devine : votre nom, votre adresse e-mail, le nom de votre école, "
    "une suite du clavier, un mot de passe courant."
)

# Activation and reference e-mail (access.accounts.activation).
LINK_INVALID = (
    "Ce lien n'est pas ou plus valable. Il a peut-être expiré ou déjà été utilisé. "
    "Demandez à votre direction de vous renvoyer l'invitation."
)
RESET_LINK_INVALID = (
    "Ce lien n'est pas ou plus valable. Il a peut-être expiré ou déjà été utilisé. "
    "Demandez un nouveau lien depuis la page « Identifiant ou mot de passe oublié ? »."
)
EMAIL_LINK_INVALID = (
    "Ce lien n'est pas ou plus valable. Il a peut-être expiré ou déjà été utilisé. "
    "Votre adresse de référence n'a pas changé ; contactez le support si besoin."
)
EMAIL_INVALID = "Cette adresse e-mail n'est pas valide."
EMAIL_TAKEN = (
    "Cette adresse e-mail est déjà utilisée par un autre compte. "
    "Choisissez une autre adresse ou contactez le support."
)
EMAIL_CHOICES_TOO_MANY = (
    "Vous avez essayé trop d'adresses différentes en peu de temps. Activez votre compte avec "
    "l'adresse proposée, ou réessayez dans une heure."
)
ACCOUNT_ACTIVATED = "Votre compte est activé. Vous pouvez vous connecter."
# A used invitation link of an account now active: nothing the link did not already say.
ACCOUNT_ALREADY_ACTIVE = (
    "Votre compte est déjà activé. Connectez-vous avec votre adresse e-mail de référence "
    "et votre mot de passe."
)
EMAIL_CHANGE_PENDING = (
    "Un e-mail de confirmation a été envoyé à {email}. "
    "Votre adresse de référence changera quand vous aurez cliqué sur le lien qu'il contient ; "
    "d'ici là, connectez-vous avec l'adresse actuelle ({current})."
)
EMAIL_CHANGED = "Votre adresse e-mail de référence est maintenant {email}."

# Sign-in and reset (access.accounts.signin).
SIGNIN_FAILED = "Nom d'utilisateur ou mot de passe incorrect."
ACCOUNT_BLOCKED = (
    "Votre compte est temporairement bloqué après trop de tentatives de connexion. "
    "Réessayez dans {minutes} minutes, ou choisissez un nouveau mot de passe "
    "avec « Identifiant ou mot de passe oublié ? »."
)
CLIENT_BLOCKED = (
    "Trop de tentatives de connexion ont échoué depuis cet appareil ou ce réseau. "
    "Réessayez dans {minutes} minutes. Si vous avez oublié votre mot de passe, "
    "choisissez-en un nouveau avec « Identifiant ou mot de passe oublié ? »."
)
RESET_REQUESTED = (
    "Si un compte activé correspond à cette adresse, un e-mail contenant un lien "
    "pour choisir un nouveau mot de passe vient d'y être envoyé. Le lien est valable {minutes} "
    "minutes. Pensez à vérifier vos courriers indésirables."
)
RESET_TOO_MANY = (
    "Trop de demandes en peu de temps. Patientez quelques minutes avant de réessayer, "
    "ou contactez le support."
)
HASHING_BUSY = "Le service reçoit trop de demandes en ce moment. Réessayez dans quelques secondes."
PASSWORD_CHANGED = "Votre mot de passe a été modifié. Vous pouvez vous connecter."
RESET_NOT_POSSIBLE = (
    "Aucun compte activé n'est associé à votre profil : utilisez plutôt l'invitation "
    "envoyée par votre direction."
)
RESET_LINK_SENT = "Un lien pour choisir un nouveau mot de passe a été envoyé à {email}."

# Changes from « Mon accès » (access.accounts.changes).
CURRENT_PASSWORD_REQUIRED = "Indiquez votre mot de passe actuel."
CURRENT_PASSWORD_WRONG = "Le mot de passe actuel est incorrect."
PASSWORD_UNCHANGED = "Le nouveau mot de passe est identique à l'actuel : choisissez-en un autre."
PASSWORD_CHANGED_MEANWHILE = (
    "Votre mot de passe vient d'être modifié par ailleurs. Rechargez la page et recommencez."
)
ACCOUNT_NOT_ACTIVE = "Votre compte n'est pas actif : reconnectez-vous ou contactez le support."
NEW_EMAIL_REQUIRED = "Indiquez la nouvelle adresse e-mail."
EMAIL_ALREADY_REFERENCE = "C'est déjà votre adresse e-mail de référence."
EMAIL_CHANGES_TOO_MANY = (
    "Vous avez essayé trop d'adresses différentes en peu de temps. Réessayez dans une heure."
)


# --- French wording of the director services: mission grants and the team list export.

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


# --- Everything the invitations and the mail outbox say to people, in French, in one place.

# Why a person was not sent an invitation (InvitationReport.skipped / to_fix).
SKIP_REASONS: dict[str, str] = {
    "email_to_fix": "Adresse e-mail manquante ou invalide : à corriger dans ProECO",
    "left": "A quitté l'établissement",
    "active": "Compte déjà activé",
    "disabled": "Compte désactivé",
    "already_invited": "Invitation déjà envoyée (utilisez « Renvoyer l'invitation »)",
    "not_invited": "Pas encore invité·e (utilisez « Envoyer les invitations »)",
    "cooldown": (
        "Invitation envoyée il y a moins de {minutes} minutes : patientez avant de renvoyer"
    ),
    "bad_address": (
        "Adresse refusée par sa messagerie au dernier envoi : à corriger dans ProECO, puis renvoyer"
    ),
    "not_in_establishment": "Ne fait pas partie de cet établissement",
}

INVITATION_SENT = "Invitation envoyée"
UNKNOWN_MODE = "Type d'envoi inconnu : choisissez l'envoi des invitations ou leur renvoi."
IDEMPOTENCY_KEY_REUSED = "Cette demande a déjà été utilisée pour un autre envoi ; recommencez."
NO_ESTABLISHMENT = "Aucun établissement ne vous est rattaché dans ProECO : contactez le helpdesk."

# Shown after « Échec d'envoi : » when the mail server could not be reached at all.
DELIVERY_UNREACHABLE = "le serveur de messagerie est injoignable"


def skip_label(reason: str, *, cooldown_seconds: int = 180) -> str:
    minutes = max(1, round(cooldown_seconds / 60))
    return SKIP_REASONS[reason].format(minutes=minutes)
