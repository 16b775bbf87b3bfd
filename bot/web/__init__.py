"""The web pages (activation, sign-in, password reset, « Mon accès ») and the ASGI app that
also carries the Slack events endpoint. Build it with `bot.web.app.create_app`."""
