"""The upload pane: choosing files, the import worker and its results."""
