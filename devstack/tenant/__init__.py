"""The partner's Entra tenant: the second tenant of the local stack.

With ``PARTNER_AUTH=entra`` the app holds no key: its managed identity is the federated
credential of a multi-tenant app registration, and the partner's tenant exchanges the
identity's token for a token to the partner's API (docs/partner-entra.md). This package
plays that tenant as Entra does: ``store`` is what it knows (the registration and its
federated credentials, the partner's consent, the partner's API) and the exchange itself,
``errors`` Entra's answers when the exchange is refused, ``api`` the HTTPS endpoints
(OpenID discovery, keys, token), ``directory`` the devstack routes that change the
directory for tests and rehearsals, ``seed`` what a new stack starts with.
"""
