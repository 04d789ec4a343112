"""What to run: suites, variants, the runner and the run store."""
