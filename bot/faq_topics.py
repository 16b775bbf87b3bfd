"""The FAQ entries about access, and what a person's situation should say after them.

One place for the chat (« Votre situation » after the answer) and the web page `/faq` (a
link to « Ma situation » under those answers).
"""

from __future__ import annotations

from access.diagnosis.explain import Topic

ACCESS_TOPICS = {
    "acces-invitation-non-recue": Topic.INVITATION,
    "acces-activer-compte": Topic.INVITATION,
    "acces-lien-expire": Topic.INVITATION,
    "membre-absent-liste": Topic.INVITATION,
    "compte-bloque": Topic.SIGN_IN,
    "mdp-oublie": Topic.SIGN_IN,
    "identifiant-oublie": Topic.SIGN_IN,
    "email-incorrect-erreur": Topic.EMAIL,
    "email-autre-adresse": Topic.EMAIL,
    "plusieurs-etablissements": Topic.SCHOOLS,
    "depart-membre": Topic.SCHOOLS,
}
