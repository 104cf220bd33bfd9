"""The counting engine: cost rules applied to traced ops, folded into layer rows and
totals, and parameters under the named conventions."""
