"""On-air mode: the whole window shows only what the stream's audience may see."""
