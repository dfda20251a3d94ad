"""StreamImages Desktop: curate, protect and browse the images of live streams offline."""

__version__ = "0.1.0"
