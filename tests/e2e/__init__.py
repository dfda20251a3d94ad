"""End-to-end tests: the real command line in a subprocess."""
