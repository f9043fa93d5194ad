"""The scan's result as text (people), JSON (scripts) and SARIF 2.1.0 (code-scanning UIs).

Every format is built from findings and problems only, and findings hold names, lines and
kinds, never a secret value: no report can print one.
"""
