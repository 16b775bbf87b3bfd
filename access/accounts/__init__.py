"""Accounts: one-time tokens, passwords, throttling, activation and sign-in."""
