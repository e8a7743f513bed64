"""``python -m takuso``: the same command line as the ``takuso`` script, from whichever interpreter runs it."""

from takuso.cli import main

main()
