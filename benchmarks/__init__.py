"""tidal's benchmarks (not tests): each prints its figures, and a peer's on the same work where installed."""
