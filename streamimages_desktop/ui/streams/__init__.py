"""The stream browser."""
