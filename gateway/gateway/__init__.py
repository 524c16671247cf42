"""The one door: authenticates, checks role and scope, validates, calls the
services over RPC, maps their errors to HTTP. It holds no domain data."""
