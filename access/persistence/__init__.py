"""Persistence: the engine, sessions and transactions, and bulk writes (COPY on PostgreSQL)."""
