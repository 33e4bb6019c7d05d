"""`python -m logdoctor` runs the command line."""

from logdoctor.cli import run

run()
