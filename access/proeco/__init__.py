"""The ProECO import: reading the export (CSV dialects, encodings) and syncing the directory
with it."""
