"""The gallery grid: model, delegate, view, the pixmap cache and the thumbnail loader behind it."""
