"""An app with no functions of its own: the tests add a blueprint with ``--blueprint``."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
