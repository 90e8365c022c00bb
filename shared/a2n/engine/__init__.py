"""The pure execution engine: graph, statuses, planner, expressions and backoff.

No I/O here: nothing of A2N but these modules, the standard library and jmespath.
"""
