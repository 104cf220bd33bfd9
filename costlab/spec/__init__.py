"""Specs: YAML architecture tables loaded into frozen dataclasses, found by name, and
`MODEL:key=value` variants. No torch here, so specs validate and list at once."""
