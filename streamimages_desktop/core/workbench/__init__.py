"""The cache workbench: policies, miss-ratio curves, Belady's bound, traces and workloads (no Qt).

One idea per module: policies/ (the eviction policies behind one interface), mrc (the whole LRU
curve from one pass), belady (the bound), trace (the request list and its CSV file), workloads
(synthetic traces), sizes (parsing "10MB,50MB"), runner (policies at many sizes, in processes).
"""
