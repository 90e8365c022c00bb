"""HTTP plumbing shared by every API route Lambda: request/response, problem+json, pagination.

Route modules import ``a2n.api.http`` (light) and ``a2n.api.schemas`` (pydantic) as they need them.
"""
