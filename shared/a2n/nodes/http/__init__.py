"""Outbound HTTP for the http_request node: the SSRF guard, a client pinned to vetted addresses,
credential application and OAuth2 token handling. Imported only when an HTTP node runs."""
