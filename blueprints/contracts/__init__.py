"""What each HTTP API promises: roles, limits and its OpenAPI description, one module per API.

The blueprint that serves an API enforces its contract and ``blueprints/openapi.py``
describes it, so both read the same constants without one blueprint importing another.
"""
