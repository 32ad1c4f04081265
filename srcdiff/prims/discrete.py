"""What has no derivative, emitted as written: indices, counts, tests, rounding and queries."""
