"""What carries images out of the window: the Export dialog, drag-out and copy."""
