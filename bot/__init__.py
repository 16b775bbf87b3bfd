"""Transports (Slack, terminal console, web pages), the helpdesk and the conversation layer."""
