"""Webhook triggers: authenticating inbound requests before they become executions.

`signatures` is pure; looking up tokens and recording replay ids belong to the service and db layers.
"""
