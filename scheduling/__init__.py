"""Scheduled jobs: what runs by itself, when, and the record of every run.

The jobs' work belongs to the packages that own the subject (the ProECO drop folder in
`access.proeco.drop`, reminders in `access.invitations.reminders`, the directors' digest in
`access.directory.digest`, ticket follow-up in `helpdesk.followup`, housekeeping in
`access.housekeeping` and `faq.usage`); this package names them (`jobs`), claims and records
each run in the database (`runs`), and fires them on their schedules (`scheduler`). It knows
no transport: what must reach people (operators, directors, requesters) goes through the
notifier interfaces of `notify` and `helpdesk.followup`, which the `scheduler` command fills
with the Slack or e-mail implementations.
"""
