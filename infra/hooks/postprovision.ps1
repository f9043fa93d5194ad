# azd postprovision hook (PowerShell). Same job as postprovision.sh: writes
# local.settings.json with identity-based settings only (no __credential, no
# AZURE_CLIENT_ID, no secret), with the functions that consume production work (queue
# worker, poison handler, posture timer) disabled locally, then prints how to store the
# partner API key (or, with PARTNER_AUTH=entra, the partner tenant's consent step).
# ConvertTo-Json does the quoting.
$ErrorActionPreference = 'Stop'

$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$target = Join-Path $root 'local.settings.json'

# Functions that consume production work (blueprints/worker.py, blueprints/posture.py,
# blueprints/outbox.py, blueprints/rotation.py).
$consumers = @('process_job', 'record_poisoned_job', 'posture_timer', 'outbox_timer', 'rotate_on_event', 'rotation_timer')

$required = @(
  'AZURE_STORAGE_HOST_BLOB_ENDPOINT', 'AZURE_STORAGE_HOST_QUEUE_ENDPOINT',
  'AZURE_STORAGE_HOST_TABLE_ENDPOINT', 'AZURE_STORAGE_JOBS_BLOB_ENDPOINT',
  'AZURE_STORAGE_JOBS_QUEUE_ENDPOINT', 'KEY_VAULT_URI', 'KEY_VAULT_NAME', 'PARTNER_API_URL',
  'PARTNER_API_KEY_SECRET_NAME', 'AZURE_TENANT_ID', 'API_CLIENT_ID'
)
foreach ($name in $required) {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    throw "postprovision: $name is not set; run this hook through azd (azd provision)."
  }
}
function Get-Setting([string]$name) { [Environment]::GetEnvironmentVariable($name) }

if (Test-Path $target) {
  Move-Item -Force $target "$target.bak"
  Write-Host 'postprovision: kept the previous local.settings.json as local.settings.json.bak'
}

$values = [ordered]@{
  'FUNCTIONS_WORKER_RUNTIME'             = 'python'
  'AzureWebJobsStorage__blobServiceUri'  = Get-Setting 'AZURE_STORAGE_HOST_BLOB_ENDPOINT'
  'AzureWebJobsStorage__queueServiceUri' = Get-Setting 'AZURE_STORAGE_HOST_QUEUE_ENDPOINT'
  'AzureWebJobsStorage__tableServiceUri' = Get-Setting 'AZURE_STORAGE_HOST_TABLE_ENDPOINT'
  'JobsStorage__queueServiceUri'         = Get-Setting 'AZURE_STORAGE_JOBS_QUEUE_ENDPOINT'
  'JobsStorage__blobServiceUri'          = Get-Setting 'AZURE_STORAGE_JOBS_BLOB_ENDPOINT'
  'KEY_VAULT_URI'                        = Get-Setting 'KEY_VAULT_URI'
  'PARTNER_API_URL'                      = Get-Setting 'PARTNER_API_URL'
  'PARTNER_API_KEY_SECRET_NAME'          = Get-Setting 'PARTNER_API_KEY_SECRET_NAME'
  'PARTNER_API_KEY_HEADER'               = 'X-Api-Key'
  'SECRET_CACHE_TTL_SECONDS'             = '300'
  'POSTURE_SCHEDULE'                     = '0 0 */6 * * *'
  'OUTBOX_SCHEDULE'                      = '0 */1 * * * *'
  'CALLER_TOKEN_ISSUERS'                 = "https://login.microsoftonline.com/$(Get-Setting 'AZURE_TENANT_ID')/v2.0"
  'CALLER_TOKEN_AUDIENCES'               = "api://$(Get-Setting 'API_CLIENT_ID'),$(Get-Setting 'API_CLIENT_ID')"
  'CALLER_TOKEN_JWKS_URL'                = "https://login.microsoftonline.com/$(Get-Setting 'AZURE_TENANT_ID')/discovery/v2.0/keys"
  'ROTATION_SCHEDULE'                    = '0 30 2 * * *'
  'PARTNER_AUTH'                         = if ($env:PARTNER_AUTH) { $env:PARTNER_AUTH } else { 'key' }
}
if ($env:PARTNER_AUTH -eq 'entra') {
  $values['PARTNER_TENANT_ID'] = Get-Setting 'PARTNER_TENANT_ID'
  $values['PARTNER_APP_CLIENT_ID'] = Get-Setting 'PARTNER_APP_CLIENT_ID'
  $values['PARTNER_SCOPE'] = Get-Setting 'PARTNER_SCOPE'
}
foreach ($function in $consumers) { $values["AzureWebJobs.$function.Disabled"] = 'true' }
[ordered]@{ IsEncrypted = $false; Values = $values } |
  ConvertTo-Json -Depth 3 | Set-Content -Encoding utf8 -Path $target
Write-Host 'postprovision: wrote local.settings.json (identity-based, no secrets; the queue and'
Write-Host '  timer functions are disabled locally so they never take the cloud app''s work).'

if ($env:PARTNER_AUTH -eq 'entra') {
  $registration = Get-Setting 'PARTNER_APP_CLIENT_ID'
  $api = (Get-Setting 'PARTNER_SCOPE') -replace '/\.default$', ''
  Write-Host @"

PARTNER_AUTH=entra: there is no key to store. The app registration $registration
trusts the app's managed identity; the partner's tenant must now provision it and grant it
its app role, once, by an administrator there:

  infra/scripts/partner-tenant-consent.sh $registration --api $api

This machine has no managed identity: locally, the partner call works on the devstack
(make run ARGS="--partner-auth entra"), not against the partner (docs/partner-entra.md).
"@
  exit 0
}

$vault = Get-Setting 'KEY_VAULT_NAME'
$secret = Get-Setting 'PARTNER_API_KEY_SECRET_NAME'
Write-Host @"

Next: store the partner API key in Key Vault, once, with an expiry date. The template never
sets it. Read-Host -AsSecureString keeps it off the screen, out of history and off any command
line (needs the Az.KeyVault module: Install-Module Az.KeyVault; Connect-AzAccount):

  Set-AzKeyVaultSecret -VaultName $vault -Name $secret -Expires (Get-Date).AddDays(90).ToUniversalTime() -SecretValue (Read-Host -AsSecureString 'Partner API key')

With VNET_ENABLED=true the vault has no public endpoint: store the key through Azure Resource
Manager instead (docs/deploy.md, "Private networking"). Role assignments can take a few
minutes to apply; if it answers 403 (Forbidden), wait and run it again.
"@
