"""Output: the only place numbers become strings."""
