"""`python -m timeline` is the same as the `timeline` command."""

from timeline.cli import main

main()
