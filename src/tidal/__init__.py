"""tidal: AWS event-driven serverless apps on one machine, with AWS's delivery semantics."""

__version__ = "0.1.0"
