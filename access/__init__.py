"""The shared access module: establishments, staff, functions, accounts, invitations.

Pure domain and persistence: nothing here imports Slack, HTTP or the terminal.
"""
