"""Where the rules get their facts: one module per source, each read once per run.

``env`` (the process environment), ``probes`` (a token and one read per identity-based
connection), ``vault`` (Key Vault secret properties), ``arm`` (Resource Graph and ARM),
``graph`` (Microsoft Graph). A source holds names, dates and findings, never a value.
"""
