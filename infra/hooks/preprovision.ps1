# azd preprovision hook (PowerShell). Same job as preprovision.sh: finds or creates the
# Entra app registration that protects the API (app roles from app-roles.json, v2 tokens for
# api://<client id>, Azure CLI pre-authorized, no client secret) and stores its client id in
# the azd environment as API_CLIENT_ID. Set API_CLIENT_ID yourself to use an existing one.
$ErrorActionPreference = 'Stop'

if ($env:API_CLIENT_ID) {
  Write-Host "preprovision: using the API app registration $($env:API_CLIENT_ID)"
  exit 0
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
  throw ("preprovision: the Azure CLI (az) is needed to create the API app registration; " +
    "install it and run 'az login', or set an existing one: azd env set API_CLIENT_ID <id>")
}
if (-not $env:AZURE_ENV_NAME) { throw 'preprovision: run this hook through azd.' }

$displayName = "secretless-functions-$($env:AZURE_ENV_NAME)"
$azureCliAppId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'
$graph = 'https://graph.microsoft.com/v1.0'
$rolesFile = Join-Path $PSScriptRoot 'app-roles.json'

function Invoke-Graph([string]$method, [string]$url, $body) {
  # az rest reads the body from a file, which sidesteps PowerShell's quoting of JSON arguments.
  $file = New-TemporaryFile
  try {
    $body | ConvertTo-Json -Depth 8 | Set-Content -Encoding utf8 -Path $file
    az rest --method $method --url $url --headers 'Content-Type=application/json' --body "@$file" --output none
    if ($LASTEXITCODE -ne 0) { throw "preprovision: az rest $method $url failed" }
  } finally {
    Remove-Item -Force $file
  }
}

$appId = az ad app list --display-name $displayName --query '[0].appId' -o tsv
if (-not $appId) {
  Write-Host "preprovision: creating the app registration $displayName"
  $appId = az ad app create --display-name $displayName --sign-in-audience AzureADMyOrg `
    --app-roles "@$rolesFile" --query appId -o tsv
}
$objectId = az ad app show --id $appId --query id -o tsv

$scopeId = az ad app show --id $appId --query 'api.oauth2PermissionScopes[0].id' -o tsv
if (-not $scopeId) {
  $scopeId = [guid]::NewGuid().ToString()
  Invoke-Graph PATCH "$graph/applications/$objectId" @{
    identifierUris = @("api://$appId")
    api            = @{
      requestedAccessTokenVersion = 2
      oauth2PermissionScopes      = @(@{
          id                      = $scopeId
          value                   = 'user_impersonation'
          type                    = 'User'
          isEnabled               = $true
          adminConsentDisplayName = 'Call the secretless functions API'
          adminConsentDescription = 'Lets the signed-in user call the API.'
          userConsentDisplayName  = 'Call the secretless functions API'
          userConsentDescription  = 'Lets you call the API as yourself.'
        })
    }
  }
}
Invoke-Graph PATCH "$graph/applications/$objectId" @{
  api = @{ preAuthorizedApplications = @(@{ appId = $azureCliAppId; delegatedPermissionIds = @($scopeId) }) }
}

$spId = az ad sp list --filter "appId eq '$appId'" --query '[0].id' -o tsv
if (-not $spId) { $spId = az ad sp create --id $appId --query id -o tsv }

$userId = az ad signed-in-user show --query id -o tsv 2>$null
if ($LASTEXITCODE -eq 0 -and $userId) {
  foreach ($role in @('Jobs.Submit', 'Posture.Read')) {
    $roleId = az ad sp show --id $spId --query "appRoles[?value=='$role'].id | [0]" -o tsv
    $assigned = az rest --method GET --url "$graph/servicePrincipals/$spId/appRoleAssignedTo" `
      --query "value[?principalId=='$userId' && appRoleId=='$roleId'] | length(@)" -o tsv
    if ($assigned -eq '0') {
      Invoke-Graph POST "$graph/servicePrincipals/$spId/appRoleAssignedTo" @{
        principalId = $userId; resourceId = $spId; appRoleId = $roleId
      }
      Write-Host "preprovision: gave you the app role $role"
    }
  }
}

azd env set API_CLIENT_ID $appId
Write-Host "preprovision: API app registration $appId (audience api://$appId)"
