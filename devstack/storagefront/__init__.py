"""The Storage front: Azurite behind a TLS front that refuses what Azure refuses.

The stack's Storage account runs with ``allowSharedKeyAccess`` false in Azure, so a
request signed with the account key, or carrying a SAS signed with it, is refused with
403 ``KeyBasedAuthenticationNotPermitted``. Azurite accepts its well-known key next to
bearer tokens; this front, listening on the public Blob, Queue and Table ports, passes
bearer (and anonymous) requests to Azurite on internal ports unchanged and answers the
key-based ones itself (:mod:`.refusal`). ``framing`` reads just enough HTTP/1.1 to find
where each message ends; ``server`` pairs each client connection with one Azurite
connection and streams both ways.
"""
