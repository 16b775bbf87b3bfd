"""E-mail: templates, the bytes of a message, and the durable outbox that delivers them."""
