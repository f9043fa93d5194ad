"""``fix``: a migrated copy of the app, and a report of what could not be migrated and why.

The input tree is only read. Every change is made to the copy under ``--out``, by a fixer
that understands what it changes: settings (identity-based connection settings), code
(libcst, so formatting and comments survive), templates (keyed settings replaced, a role
assignment module added) and workflows (OIDC login). What no fixer can change safely is
listed in the report with the reason, and its secret values are blanked in the copy: the
copy never holds a secret the input held.
"""
