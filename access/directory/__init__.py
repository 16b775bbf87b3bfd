"""The staff directory: establishments, functions, people, assignments, accounts, mission
grants, and who may manage whom."""
