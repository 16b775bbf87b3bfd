"""The helpdesk's tickets: the domain (no Slack, no HTTP, no terminal).

Use cases live in `tickets` (open, claim, reply, resolve…), reading in `queries`, measures in
`stats`, form checks in `validation`, inbound e-mail in `inbound`; announcing a new ticket
behind the `triage.TriageNotifier` interface (a transport implements it), and the worker's
`sweep` of tickets left unannounced; every French word in `messages`. Transports
(`bot.conversation.features.tickets`, `bot.web.support`, the CLI) call these.
"""
