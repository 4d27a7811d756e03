"""`python -m sqlmon`: the same command line as `sqlmon`."""

from sqlmon.cli import main

main()
