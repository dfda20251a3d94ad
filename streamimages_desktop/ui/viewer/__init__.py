"""Looking at one image at a time."""
