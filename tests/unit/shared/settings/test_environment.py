"""shared.settings.environment: every variable the process sees, checked at start-up.

Each refused row names the variable and the kind of problem and never quotes the value;
each allowed row is a variable the platform or an ordinary deployment sets. Sources: the
variables EnvironmentCredential reads (azure-identity docs, EnvironmentCredential), the
Functions host's own names (azure-functions-host src/WebJobs.Script/Environment/
EnvironmentSettingNames.cs: MSI_SECRET, WEBSITE_AUTH_ENCRYPTION_KEY, WEBSITE_AUTH_SIGNING_KEY,
CONTAINER_ENCRYPTION_KEY, CONTAINER_START_CONTEXT(_SAS_URI),
AzureWebJobsSecretStorageKeyVaultClientSecret) and App Service's managed identity
endpoint variables (IDENTITY_ENDPOINT, IDENTITY_HEADER).
"""

from __future__ import annotations

import random
import secrets

import pytest

from shared.settings import (
    NOT_SECRET_NAMES,
    SettingsError,
    UnsafeEnvironmentError,
    declared_not_secret,
    declared_settings,
)
from shared.settings.environment import (
    CREDENTIAL_VARIABLES,
    KIND_BY_NAME,
    KIND_CONNECTION_STRING,
    KIND_CREDENTIAL_VARIABLE,
    KIND_KEYED_CONNECTION,
    KIND_URL_CREDENTIALS,
    PLATFORM_MANAGED,
    SECRET_NAME_ENDINGS,
    check_environment,
    problem_of,
    secret_named,
    unsafe_variables,
)
from tests.support.secret_shapes import (
    ACCOUNT_KEY,
    POSITIVE_GENERATORS,
    ordinary_values,
    storage_account_key,
)
from tests.support.vendor_secret_shapes import VENDOR_PARTS

RNG_SEED = 20261122


def refused(name: str, value: str) -> UnsafeEnvironmentError:
    with pytest.raises(UnsafeEnvironmentError) as caught:
        check_environment({"PATH": "/usr/bin", name: value})
    message = str(caught.value)
    assert caught.value.setting == name
    assert name in message
    assert value not in message, "the error must never quote the value"
    assert isinstance(caught.value, SettingsError), "one start-up error family"
    return caught.value


@pytest.mark.parametrize("name", CREDENTIAL_VARIABLES)
def test_a_credential_variable_is_refused_whatever_its_value(name: str) -> None:
    error = refused(name, secrets.token_urlsafe(24))
    assert error.problem.kind == KIND_CREDENTIAL_VARIABLE
    assert "managed identity" in str(error)
    assert refused(name, "/home/me/cert.pem").problem.kind == KIND_CREDENTIAL_VARIABLE


@pytest.mark.parametrize("name", ["AzureWebJobsStorage", "JobsStorage", "OtherStorage"])
def test_a_keyed_storage_connection_string_is_refused(name: str) -> None:
    rng = random.Random(RNG_SEED)
    value = (
        f"DefaultEndpointsProtocol=https;AccountName=acct;{ACCOUNT_KEY}{storage_account_key(rng)}"
    )
    assert refused(name, value).problem.kind == KIND_KEYED_CONNECTION


def test_the_emulators_well_known_key_is_a_key_too() -> None:
    error = refused("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    assert error.problem.kind == KIND_KEYED_CONNECTION


@pytest.mark.parametrize("name", ["AzureWebJobsStorage", "JobsStorage"])
def test_the_apps_connections_must_be_identity_based(name: str) -> None:
    error = refused(name, "DefaultEndpointsProtocol=https;AccountName=acct;EndpointSuffix=x")
    assert error.problem.kind == KIND_CONNECTION_STRING
    assert "__blobServiceUri" in str(error)


@pytest.mark.parametrize("kind", sorted(POSITIVE_GENERATORS))
def test_a_secret_pasted_into_any_variable_is_refused(kind: str) -> None:
    planted = POSITIVE_GENERATORS[kind](random.Random(RNG_SEED))
    error = refused("SOME_UNDECLARED_VARIABLE", planted.text)
    assert planted.value not in str(error)


def test_a_password_in_a_url_is_refused() -> None:
    password = secrets.token_urlsafe(12)
    error = refused("HTTPS_PROXY", f"http://me:{password}@proxy.example:3128")
    assert error.problem.kind == KIND_URL_CREDENTIALS


@pytest.mark.parametrize("name", sorted(PLATFORM_MANAGED))
def test_what_the_platform_injects_is_allowed_whatever_it_looks_like(name: str) -> None:
    rng = random.Random(RNG_SEED)
    for generator in POSITIVE_GENERATORS.values():
        assert problem_of(name, generator(rng).text) is None


def test_an_ordinary_environment_passes() -> None:
    """The positive control: the values real settings and platforms hold are not refused."""
    rng = random.Random(RNG_SEED)
    env = {f"SETTING_{i}": value for i, value in enumerate(ordinary_values(rng, 500))}
    env.update(
        {
            "AzureWebJobsStorage__blobServiceUri": "https://acct.blob.core.windows.net/",
            "JobsStorage__queueServiceUri": "https://acct.queue.core.windows.net/",
            "AZURE_CLIENT_ID": "00000000-0000-4000-8000-000000000001",
            "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential",
            "IDENTITY_ENDPOINT": "http://127.0.0.1:41234/msi/token",
            "IDENTITY_HEADER": secrets.token_urlsafe(32),
            "WEBSITE_SITE_NAME": "func-app",
            "WEBSITE_INSTANCE_ID": f"{rng.getrandbits(256):064x}",
            "AzureWebJobsStorage__credential": "managedidentity",
            "BLANK": "",
        }
    )
    assert unsafe_variables(env) == []
    check_environment(env)


def test_every_problem_is_found_and_the_first_by_name_is_raised() -> None:
    env = {"ZZZ_KEYED": "UseDevelopmentStorage=true", "AZURE_PASSWORD": "x"}
    assert [p.variable for p in unsafe_variables(env)] == ["AZURE_PASSWORD", "ZZZ_KEYED"]
    with pytest.raises(UnsafeEnvironmentError, match="AZURE_PASSWORD"):
        check_environment(env)


@pytest.mark.parametrize(
    "name",
    ["PARTNER_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "JWT_SECRET", "MYSQL_PWD", "apiKey",
     "Stripe_Secret", "sendgridApiKey", "AWS_SECRET_ACCESS_KEY", "APPSETTING_SLACK_BOT_TOKEN"],
)  # fmt: skip
def test_a_name_marking_a_credential_is_refused_whatever_its_value(name: str) -> None:
    """``PARTNER_API_KEY=pk_…`` started the app: no shape knew ``pk_``. Its name does."""
    rng = random.Random(f"{RNG_SEED}-{name}")
    for value in ("pk_" + secrets.token_hex(16), ordinary_values(rng, 1)[0] + "-value"):
        error = refused(name, value)
        assert error.problem.kind == KIND_BY_NAME
        assert "shared/settings.py" in str(error), "the fix says how to declare a non-secret"


@pytest.mark.parametrize("name", sorted(NOT_SECRET_NAMES))
def test_a_name_declared_non_secret_is_not_refused_for_its_name(name: str) -> None:
    assert problem_of(name, "/home/site/wwwroot") is None
    assert problem_of(f"APPSETTING_{name}", "/home/site/wwwroot") is None


def test_every_declared_setting_is_declared_non_secret_and_none_is_refused_for_its_name() -> None:
    for setting in declared_settings():
        assert declared_not_secret(setting.name)
        assert not secret_named(setting.name), setting.name


def test_the_name_rule_fails_on_a_generated_positive_and_spares_ordinary_names() -> None:
    """Every ending in every case, after an ordinary prefix, is found; the names real
    deployments set (the platform's and the devstack's own) are not."""
    rng = random.Random(RNG_SEED)
    for ending in SECRET_NAME_ENDINGS:
        for _ in range(50):
            prefix = "".join(rng.choices("ABCDEFGHIJ_abcdefghij", k=rng.randint(1, 12)))
            cased = "".join(c.lower() if rng.random() < 0.5 else c for c in ending)
            assert secret_named(prefix + cased), prefix + cased
    ordinary = ["PATH", "HOME", "WEBSITE_SITE_NAME", "FUNCTIONS_WORKER_RUNTIME", "KEYS_DIR",
                "TOKEN_AUDIENCE", "PARTNER_API_KEY_HEADER", "PARTNER_API_KEY_SECRET_NAME",
                ]  # fmt: skip
    assert [name for name in ordinary if secret_named(name)] == []


def test_the_red_team_s_environment_does_not_start_the_app() -> None:
    """The report's list, each value built from its published format at run time. Renamed,
    the values with a shape are still found by it; the others only ever by their name."""
    rng = random.Random(RNG_SEED)
    shapes = {kind: POSITIVE_GENERATORS[kind](rng).value for kind in VENDOR_PARTS}
    aws = [VENDOR_PARTS["aws-key"](rng)[2] for _ in range(20)]
    unshaped_key = "pk_" + secrets.token_urlsafe(24)
    shaped = {
        "GITHUB_TOKEN": shapes["github-token"],
        "STRIPE_KEY": shapes["stripe-key"],
        "SENDGRID_API_KEY": shapes["sendgrid-key"],
        "AWS_ACCESS_KEY_ID": next(v for v in aws if len(v) == 20),
    }
    unshaped = {
        "PARTNER_API_KEY": unshaped_key,
        "AWS_SECRET_ACCESS_KEY": next(v for v in aws if len(v) == 40),
        "DB_PASSWORD": secrets.token_urlsafe(12),
        "JWT_SECRET": secrets.token_urlsafe(32),
    }
    env = {**shaped, **unshaped}
    assert [p.variable for p in unsafe_variables(env)] == sorted(env)
    assert all(problem_of("NEUTRAL_NAME", value) is not None for value in shaped.values())
    assert all(problem_of("NEUTRAL_NAME", value) is None for value in unshaped.values())
