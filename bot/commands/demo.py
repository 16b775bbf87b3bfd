"""`extranet-bot demo`: the product on its embedded defaults, with the demo data, in the console."""

from __future__ import annotations

from pathlib import Path

import click

from access.demo import DEMO_DIRECTOR_EMAIL, DEMO_FASE, load_demo_data
from access.directory.team import team_of
from access.errors import AccessError
from bot.commands.console import quiet_logs
from bot.commands.context import AppContext, pass_app
from bot.commands.proeco import render_report
from bot.commands.team import render_team
from bot.settings import Settings

DEMO_DATABASE = "extranet-demo.db"


def demo_settings(settings: Settings) -> Settings:
    """A fresh SQLite file of its own (unless DATABASE_URL is set) and mail written to files."""
    update: dict[str, object] = {
        "mail_backend": "file",
        "mail_dir": Path(settings.mail_dir).resolve(),
    }
    if "database_url" not in settings.model_fields_set:
        database = Path(DEMO_DATABASE).resolve()
        for leftover in (database, *(Path(f"{database}{s}") for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        update["database_url"] = f"sqlite:///{database}"
    return settings.model_copy(update=update)


@click.command(help="Load the demo data (a few schools, ~40 people) and open the console on it.")
@pass_app
def demo(app: AppContext) -> None:
    from access.mail.outbox import deliver_due
    from bot.console import ConsoleSession, run

    quiet_logs()
    settings = demo_settings(app.settings)
    app = AppContext(settings=settings)
    db = app.migrated_database()
    try:
        loaded = load_demo_data(settings, db)
    except AccessError as error:
        raise click.ClickException(f"demo data not loaded: {error}") from None
    click.echo(render_report(loaded.report, loaded.path.name))
    click.echo("")
    with db.session() as session:
        click.echo(render_team(team_of(session, DEMO_FASE)))
    click.echo("")
    click.echo(f"Demo director: {DEMO_DIRECTOR_EMAIL} (FASE {DEMO_FASE}).")
    mail_dir = Path(settings.mail_dir)
    click.echo(f"E-mails sent from the console are written to {mail_dir}/ (MAIL_BACKEND=file).")
    click.echo("")

    def deliver_mail() -> str | None:
        # No separate worker in the demo: what a turn queued is written out at once.
        sent = deliver_due(settings, db).sent
        if not sent:
            return None
        return f"[{sent} e-mail(s) écrit(s) dans {mail_dir}/]"

    run(ConsoleSession(db, settings, as_email=DEMO_DIRECTOR_EMAIL), after_turn=deliver_mail)
