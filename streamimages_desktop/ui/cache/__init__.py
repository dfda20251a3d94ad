"""The cache pane: live figures of both cache layers and the tools to test them at their limits."""
