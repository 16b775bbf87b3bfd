"""Process-level helpers shared by the domain packages (which may not import each other)."""
