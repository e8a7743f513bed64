"""One module per CLI verb: parse options, call the steps, print, return the exit status.

Top layer (the CLI). May import: every other folder of the project; only ``takuso.cli`` imports it.
"""
