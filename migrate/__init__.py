"""migrate: make an existing Python Functions app secretless, and prove it.

``python -m migrate scan PATH`` finds every secret-based connection (code, settings, infra,
CI) with the identity-based replacement and the least-privileged roles it needs;
``fix PATH --out DIR`` writes a migrated copy; ``verify DIR`` runs it on the offline local
stack, where Storage refuses keys, and judges it with the posture checker's runtime rules.
The tool never prints, stores or writes a secret value: findings name settings, lines and
kinds, never what a secret is. See docs/migrate.md.
"""
