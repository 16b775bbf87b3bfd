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

    @router.command("/demo")
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

    @router.command("/demo", "table", "t")
    def table(turn: Turn) -> Message:
        return Message(
            Table(["Nom", "Statut"], [["Dupont Marie", "Compte activé"]], title="Équipe")
        )

    @router.action("demo.answer")
    def answer(turn: Turn) -> Message:
        assert turn.action is not None
        return Message(f"Réponse : {turn.action.value}", replace=True)

    @router.action("demo.delete")
    def delete(turn: Turn) -> str:
        return "Supprimé."

    @router.command("/demo", "form")
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

    @router.form("demo.form")
    def submitted(turn: Turn) -> FormErrors | str:
        assert turn.submission is not None
        values = turn.submission.values
        if values["name"] == "Interdit":
            return FormErrors({"name": "Ce nom est refusé."})
        return (
            f"Reçu {values['name']} {values['email']} {values['phone']} {values['kind']} "
            f"{values['until']} {turn.submission.context['from']}"
        )

    @router.command("/demo", "job")
    def job(turn: Turn) -> Job:
        def run(progress) -> Message:
            for done in range(1, 4):
                progress.report(done, 3)
            return Message("Terminé : 3 envoyés.", replace=True)

        return Job(start=Message("Envoi en cours…"), run=run)

    @router.message()
    def echo(turn: Turn) -> str:
        return f"Écho : {turn.text}"

    @router.command("/boom")
    def boom(turn: Turn) -> str:
        raise RuntimeError("broken")

    return router
