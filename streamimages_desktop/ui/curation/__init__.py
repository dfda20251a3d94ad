"""Undo and redo of every change the window makes, and noticing changes made elsewhere."""
