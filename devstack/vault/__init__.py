"""The devstack's Key Vault: the secrets REST subset the real ``SecretClient`` speaks.

``store`` holds the secrets (versions, attributes, soft delete), ``api`` answers Key
Vault's REST protocol over it (the bearer challenge, JSON shapes, paging), ``errors``
is what it answers when something is wrong.
"""
