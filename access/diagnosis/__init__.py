"""The diagnosis of one person's access: what is actually wrong, and the one step to take.

- `service.diagnose(session, person_id, fase=None)` → `model.Diagnosis` (facts, next step);
- `explain.explain(diagnosis, topic, owner=, show_addresses=)` → the French sentences;
- `actions`: remind the direction, resend the invitation, send a reset link, lift a block;
- `matching.match_person(...)`: who a request is about, and how sure that is;
- `delivery`: what became of invitations (one person, or a director's whole list).
"""
