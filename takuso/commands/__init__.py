"""One module per CLI verb: parse options, call the steps, print, return the exit status."""
