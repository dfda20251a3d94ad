"""The Qt side: widgets, models, delegates and workers over the core."""
