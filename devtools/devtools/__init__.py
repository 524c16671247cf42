"""Tools for developing and measuring the platform (tests, benchmarks), not part of any
service: what plumbing in ``common`` must not carry."""
