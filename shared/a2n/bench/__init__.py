"""``a2n bench``: the project's own benchmark of the §11 budgets — engine overhead per step,
workflow throughput and latency, cold imports, route latencies — and the AWS cost they imply.
"""
