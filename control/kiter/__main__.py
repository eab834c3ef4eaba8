"""`python -m kiter` runs the CLI."""

from kiter.cli.main import main

main()
