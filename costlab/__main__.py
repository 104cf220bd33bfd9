"""`python -m costlab` runs the command line."""

from costlab.cli import main

main()
