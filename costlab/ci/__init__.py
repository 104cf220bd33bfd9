"""Guarding cost in CI: the lock file, budgets, `costlab check` and the pytest helper."""
