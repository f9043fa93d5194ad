"""Post-deploy smoke check: the deployed API answers, and only to callers with a real token.

Four requests against a running app (Azure or the devstack), each with the answer the
platform must give:

1. ``GET /api/health`` without a token: 200 (the one anonymous route besides the OpenAPI
   document);
2. a protected route (``GET /api/posture/history?days=1``) without a token: 401, from App
   Service Authentication before any function runs;
3. the same with a forged ``X-MS-CLIENT-PRINCIPAL`` header and no token: 401 (only the
   platform may set that header; an app that trusted a caller's copy would let anyone in);
4. the same with a real bearer token (one holding the Posture.Read role): 2xx.

Run it as ``python -m smoke --url <app base URL>`` with the token in ``SMOKE_TOKEN``;
``make smoke URL=...`` does the same. docs/deploy.md says how to get the token in Azure and
on the devstack. The token is read from the environment, never from the command line, and is
never printed.
"""
