"""Integration packages as data: the manifest schema and its checks, the built-in catalogue, host
allow-lists. Pure (no database, no network); the interpreter lives with the HTTP node."""
