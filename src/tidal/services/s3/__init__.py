"""Amazon S3: buckets, objects and event notifications (see :mod:`.service`)."""
