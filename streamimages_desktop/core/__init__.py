"""Qt-free domain, storage, imaging and caching; everything the CLI and tests use without a display."""
