"""The source papers' tables, formulas and figures, rebuilt by `costlab reproduce`."""
