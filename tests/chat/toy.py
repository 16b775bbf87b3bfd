"""A toy router exercising every kind of reply, shared by the transport tests."""

from __future__ import annotations

from bot.conversation import (
    Button,
    Choices,
    Confirm,
    Field,
    FieldKind,
    Form,
    FormErrors,
    Job,
    Message,
    Option,
    Router,
    Table,
    Turn,
)


def toy_router() -> Router:
    router = Router()
    router.command("/demo")(demo)
    router.command("/demo", "table", "t")(table)
    router.action("demo.answer")(answer)
    router.action("demo.delete")(delete)
    router.command("/demo", "form")(open_form)
    router.form("demo.form")(submitted)
    router.command("/demo", "job")(job)
    router.message()(echo)
    router.command("/boom")(boom)
    return router


def demo(turn: Turn) -> Message:
    return Message(
        f"Bonjour, vous avez écrit « {turn.text} ».",
        Choices(
            [
                Button("Oui", "demo.answer", "yes"),
                Button("Supprimer", "demo.delete", "x", confirm=Confirm("Sûr ?", "Vraiment ?")),
            ]
        ),
    )


def table(turn: Turn) -> Message:
    return Message(Table(["Nom", "Statut"], [["Dupont Marie", "Compte activé"]], title="Équipe"))


def answer(turn: Turn) -> Message:
    assert turn.action is not None
    return Message(f"Réponse : {turn.action.value}", replace=True)


def delete(turn: Turn) -> str:
    return "Supprimé."


def open_form(turn: Turn) -> Form:
    return Form(
        "demo.form",
        "Formulaire",
        (
            Field("name", "Nom", initial="Dupont"),
            Field("email", "E-mail", FieldKind.EMAIL),
            Field("phone", "Téléphone", FieldKind.PHONE, required=False),
            Field(
                "kind",
                "Catégorie",
                FieldKind.SELECT,
                options=(Option("pwd", "Mot de passe"), Option("other", "Autre")),
            ),
            Field("until", "Jusqu'au", FieldKind.DATE, required=False),
        ),
        context={"from": "test"},
    )


def submitted(turn: Turn) -> FormErrors | str:
    assert turn.submission is not None
    values = turn.submission.values
    if values["name"] == "Interdit":
        return FormErrors({"name": "Ce nom est refusé."})
    return (
        f"Reçu {values['name']} {values['email']} {values['phone']} {values['kind']} "
        f"{values['until']} {turn.submission.context['from']}"
    )


def job(turn: Turn) -> Job:
    def run(progress) -> Message:
        for done in range(1, 4):
            progress.report(done, 3)
        return Message("Terminé : 3 envoyés.", replace=True)

    return Job(start=Message("Envoi en cours…"), run=run)


def echo(turn: Turn) -> str:
    return f"Écho : {turn.text}"


def boom(turn: Turn) -> str:
    raise RuntimeError("broken")
