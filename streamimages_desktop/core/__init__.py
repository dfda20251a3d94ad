"""Qt-free domain, storage, imaging and caching: all the CLI and tests use without a display."""
