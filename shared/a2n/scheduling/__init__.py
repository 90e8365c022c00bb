"""Schedule triggers: EventBridge Scheduler expressions (cron, rate, at) parsed and evaluated purely.

The local runtime and activation-time validation use the same evaluator, so `a2n dev` fires when AWS would.
"""
