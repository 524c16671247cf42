"""Cross-cutting plumbing shared by every component: config, database, outbox,
idempotent consumers, metrics, errors and the HTTP/RPC conventions."""
