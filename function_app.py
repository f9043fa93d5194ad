"""The function app: one start-up call, then one FunctionApp that registers the blueprints.

``startup.start()`` runs first, before a blueprint is even imported: it installs log
redaction and validates the settings (see :mod:`shared.startup`).

HTTP functions are anonymous at the function level on purpose: a function key
is a shared secret. Callers authenticate with Entra tokens, checked in front
of the app by App Service Authentication (emulated by the devstack locally).
"""

from shared import startup

startup.start()

import azure.functions as func

from blueprints.health import bp as health
from blueprints.jobs import bp as jobs
from blueprints.openapi import bp as openapi
from blueprints.outbox import bp as outbox
from blueprints.posture import bp as posture
from blueprints.worker import bp as worker

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(health)
app.register_functions(jobs)
app.register_functions(openapi)
app.register_functions(posture)
app.register_functions(worker)
app.register_functions(outbox)
