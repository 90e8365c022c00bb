"""The parts of `docs/` generated from the code: the HTTP API reference (from the OpenAPI document)
and the node reference (from the registry's schemas), written between markers in hand-written pages
by `a2n docs`, so they cannot drift from what the code serves."""
