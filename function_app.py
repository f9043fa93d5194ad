"""The function app: one start-up call, then one FunctionApp that registers the blueprints.

``startup.start()`` runs first, before a blueprint is even imported: it installs log
redaction and validates the settings (see :mod:`shared.startup`). It answers which
functions this app hosts (``APP_FUNCTIONS``): in Azure the jobs API and the key rotation
run in two apps under two identities (docs/rotation.md); locally one host runs both.

HTTP functions are anonymous at the function level on purpose: a function key
is a shared secret. Callers authenticate with Entra tokens, checked in front
of the app by App Service Authentication (emulated by the devstack locally) and
again by the app itself (shared/callertoken.py).
"""

from shared import startup

hosted = startup.start()

import azure.functions as func

from blueprints.health import bp as health
from blueprints.jobs import bp as jobs
from blueprints.openapi import bp as openapi
from blueprints.outbox import bp as outbox
from blueprints.posture import bp as posture
from blueprints.rotation import bp as rotation
from blueprints.worker import bp as worker

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in (health, jobs, openapi, posture, worker, outbox) if hosted != "rotation" else ():
    app.register_functions(blueprint)
if startup.rotates(hosted):
    app.register_functions(rotation)
