"""`python -m streamimages_desktop` runs the same command line as `streamimages`."""

from streamimages_desktop.cli import main

raise SystemExit(main())
