"""Invitations: sending them (one, a whole team, as a background job) and what became of them."""
