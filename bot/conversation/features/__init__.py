"""The chat features: each module registers its handlers on the conversation router."""
