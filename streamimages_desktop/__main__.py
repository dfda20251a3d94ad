"""`python -m streamimages_desktop` runs the same command line as `streamimages`."""

from streamimages_desktop.cli.entry import main

raise SystemExit(main())
