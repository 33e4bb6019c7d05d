"""`python -m logdoctor` runs the command line."""

from logdoctor.start import run

run()
