"""French wording of the account's life: password rules, activation, sign-in and reset.

Every sentence a person reads about their password or account comes from here, so the web
pages and the chat say the same thing in the same words.
"""

from __future__ import annotations

# Password rules (access.passwords).
PASSWORD_TOO_SHORT = "Le mot de passe doit compter au moins {minimum} caractères."
PASSWORD_TOO_LONG = "Le mot de passe ne peut pas dépasser {maximum} caractères."
PASSWORD_TOO_COMMON = (
    "Ce mot de passe fait partie des mots de passe les plus utilisés : choisissez-en un autre."
)
PASSWORD_CONTAINS_NAME = "Le mot de passe ne peut pas contenir votre nom ou votre prénom."
PASSWORD_CONTAINS_EMAIL = "Le mot de passe ne peut pas contenir votre adresse e-mail."
PASSWORD_MISMATCH = "Les deux mots de passe ne sont pas identiques."
PASSWORD_RULES = (
    "Au moins {minimum} caractères (une phrase de quelques mots convient très bien). "
    "Ni votre nom, ni votre adresse e-mail, ni un mot de passe courant."
)

# Activation and reference e-mail (access.activation).
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
ACCOUNT_ACTIVATED = "Votre compte est activé. Vous pouvez vous connecter."
EMAIL_CHANGE_PENDING = (
    "Un e-mail de confirmation a été envoyé à {email}. "
    "Votre adresse de référence changera quand vous aurez cliqué sur le lien qu'il contient ; "
    "d'ici là, connectez-vous avec l'adresse actuelle ({current})."
)
EMAIL_CHANGED = "Votre adresse e-mail de référence est maintenant {email}."

# Sign-in and reset (access.signin).
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
PASSWORD_CHANGED = "Votre mot de passe a été modifié. Vous pouvez vous connecter."
RESET_NOT_POSSIBLE = (
    "Aucun compte activé n'est associé à votre profil : utilisez plutôt l'invitation "
    "envoyée par votre direction."
)
RESET_LINK_SENT = "Un lien pour choisir un nouveau mot de passe a été envoyé à {email}."
