# azd preprovision hook (PowerShell). Same job as preprovision.sh:
# 1. KEY_VAULT_SALT: a random salt for the purge-protected Key Vault's name, kept in the azd
#    environment (the postdown hook draws a new one after azd down).
# 2. PARTNER_KEY_EXISTS (always false with PARTNER_AUTH=entra: no key, nothing asked):
#    whether the partner key is in the vault this provision uses, asked of
#    Azure Resource Manager every time (a control-plane read), never remembered.
# 3. API_CLIENT_ID: the Entra app registration that protects the API, created once and found
#    again by its client id (never by display name), changed only if you own it: app roles
#    from app-roles.json, v2 tokens for api://<client id>, the Azure CLI pre-authorized, an
#    app role assignment required for tokens, no client secret.
# Set API_CLIENT_ID yourself to use a registration this hook did not create; CI always does.
$ErrorActionPreference = 'Stop'

$azureCliAppId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'
$graph = 'https://graph.microsoft.com/v1.0'
$rolesFile = Join-Path $PSScriptRoot 'app-roles.json'
$guid = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
$inCi = ($env:GITHUB_ACTIONS -eq 'true') -or ($env:TF_BUILD -eq 'True')

if (-not $env:AZURE_ENV_NAME) { throw 'preprovision: run this hook through azd.' }

function Invoke-Graph([string]$method, [string]$url, $body) {
  # az rest reads the body from a file, which sidesteps PowerShell's quoting of JSON arguments;
  # ConvertTo-Json does the escaping.
  $file = New-TemporaryFile
  try {
    $body | ConvertTo-Json -Depth 8 | Set-Content -Encoding utf8 -Path $file
    az rest --method $method --url $url --headers 'Content-Type=application/json' --body "@$file" --output none
    if ($LASTEXITCODE -ne 0) { throw "preprovision: az rest $method $url failed" }
  } finally {
    Remove-Item -Force $file
  }
}

# --- 1. the Key Vault name's salt -----------------------------------------------------------
# Only for an environment never provisioned: one that already has a vault keeps its name.
if (-not $env:KEY_VAULT_SALT -and -not $env:KEY_VAULT_NAME -and -not $inCi) {
  $salt = [guid]::NewGuid().ToString('N').Substring(0, 8)
  azd env set KEY_VAULT_SALT $salt
  $env:KEY_VAULT_SALT = $salt
  Write-Host "preprovision: Key Vault name salt $salt (kept in the azd environment)"
}

# --- 2. does the partner key exist? ---------------------------------------------------------
# The vault this provision uses is the one in rg-<env> tagged with the current salt (a vault
# from before the tag: KEY_VAULT_NAME), asked with azd's own login. Anything unclear counts
# as "no": the grants on the secret are then only not made this time.
function Get-ArmEndpoint {
  switch ((azd config get cloud.name 2>$null) -replace '"', '') {
    'AzureUSGovernment' { 'https://management.usgovcloudapi.net' }
    'AzureChinaCloud' { 'https://management.chinacloudapi.cn' }
    default { 'https://management.azure.com' }
  }
}

# GET an ARM path into a file; returns the HTTP status (000 when there was no answer). The
# token goes to curl on standard input, never on its command line.
function Get-Arm([string]$path, [string]$file) {
  $status = "Authorization: Bearer $armToken" |
    curl.exe --silent --header '@-' --output $file --write-out '%{http_code}' "$arm$path"
  if ($status) { $status } else { '000' }
}

$partnerKeyExists = 'false'
$secretName = if ($env:PARTNER_API_KEY_SECRET_NAME) { $env:PARTNER_API_KEY_SECRET_NAME } else { 'partner-api-key' }
if ($env:PARTNER_AUTH -eq 'entra') {
  Write-Host 'preprovision: PARTNER_AUTH=entra: the partner takes a token, there is no key to look for'
} elseif ($env:AZURE_SUBSCRIPTION_ID -and -not (Get-Command curl.exe -ErrorAction SilentlyContinue)) {
  Write-Warning 'preprovision: curl is needed to ask Azure whether the partner key exists; taking it as absent this time'
} elseif ($env:AZURE_SUBSCRIPTION_ID) {
  $arm = Get-ArmEndpoint
  $armToken = try { (azd auth token --output json 2>$null | ConvertFrom-Json).token } catch { '' }
  $answer = New-TemporaryFile
  $vaults = "/subscriptions/$($env:AZURE_SUBSCRIPTION_ID)/resourceGroups/rg-$($env:AZURE_ENV_NAME)/providers/Microsoft.KeyVault/vaults"
  $status = Get-Arm "$($vaults)?api-version=2023-07-01" $answer
  $vault = ''
  if ($status -eq '200') {
    # An answer that is not the documented list counts as no vault.
    $found = try { @((Get-Content -Raw $answer | ConvertFrom-Json).value) } catch { @() }
    $tagged = @($found | Where-Object { $_.tags -and ($_.tags.PSObject.Properties.Name -contains 'key-vault-salt') })
    $match = if ($tagged.Count -gt 0) {
      @($tagged | Where-Object { $_.tags.'key-vault-salt' -eq "$($env:KEY_VAULT_SALT)" })
    } else {
      @($found | Where-Object { $_.name -eq $env:KEY_VAULT_NAME })
    }
    if ($match.Count -eq 1) { $vault = $match[0].name }
  } elseif ($status -ne '404') {
    Write-Warning "preprovision: could not list the vaults of rg-$($env:AZURE_ENV_NAME) (HTTP $status); taking the partner key as absent this time"
  }
  if ($vault) {
    $status = Get-Arm "$vaults/$vault/secrets/$($secretName)?api-version=2023-07-01" $answer
    if ($status -eq '200') {
      $partnerKeyExists = 'true'
    } elseif ($status -ne '404') {
      Write-Warning "preprovision: could not read $secretName's metadata in $vault (HTTP $status); taking the partner key as absent this time"
    }
  }
  Remove-Item -Force $answer
}
azd env set PARTNER_KEY_EXISTS $partnerKeyExists
Write-Host "preprovision: partner key in the vault: $partnerKeyExists"

# --- 3. the API's app registration ----------------------------------------------------------
if ($env:API_CLIENT_ID -and $env:API_APP_MANAGED -ne 'true') {
  if ($env:API_CLIENT_ID -notmatch $guid) { throw "preprovision: API_CLIENT_ID is not a client id: $($env:API_CLIENT_ID)" }
  Write-Host "preprovision: using the API app registration $($env:API_CLIENT_ID) as it is"
  exit 0
}
if ($inCi) {
  throw ('preprovision: API_CLIENT_ID is not set. CI does not create app registrations: create it ' +
    'once with azd up on your machine, then: gh variable set API_CLIENT_ID --body <client id>')
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
  throw ("preprovision: the Azure CLI (az) is needed to create the API app registration; " +
    "install it and run 'az login', or set an existing one: azd env set API_CLIENT_ID <id>")
}

$userId = az ad signed-in-user show --query id -o tsv 2>$null
if ($userId -notmatch $guid) { throw 'preprovision: sign in to the Azure CLI as a user (az login).' }

if (-not $env:API_CLIENT_ID) {
  $displayName = "secretless-functions-$($env:AZURE_ENV_NAME)-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
  Write-Host "preprovision: creating the app registration $displayName"
  $appId = az ad app create --display-name $displayName --sign-in-audience AzureADMyOrg `
    --app-roles "@$rolesFile" --query appId -o tsv
  if ($appId -notmatch $guid) { throw 'preprovision: az ad app create returned no client id' }
  # Kept at once: a failure below is finished by the next run, not answered with a new app.
  azd env set API_CLIENT_ID $appId
  azd env set API_APP_MANAGED true
} else {
  $appId = $env:API_CLIENT_ID
}

$objectId = az ad app show --id $appId --query id -o tsv
if ($objectId -notmatch $guid) { throw "preprovision: app registration $appId not found" }
$owned = az ad app owner list --id $appId --query "[?id=='$userId'] | length(@)" -o tsv
if ($owned -ne '1') {
  throw "preprovision: you are not an owner of the app registration $appId, so this hook will not change it"
}

$scopeId = az ad app show --id $appId --query "api.oauth2PermissionScopes[?value=='user_impersonation'].id | [0]" -o tsv
$scope = @{
  adminConsentDescription = 'Lets the signed-in user call the API.'
  adminConsentDisplayName = 'Call the secretless functions API'
  isEnabled               = $true
  type                    = 'User'
  userConsentDescription  = 'Lets you call the API as yourself.'
  userConsentDisplayName  = 'Call the secretless functions API'
  value                   = 'user_impersonation'
}
if ($scopeId -notmatch $guid) {
  $scopeId = [guid]::NewGuid().ToString()
  Invoke-Graph PATCH "$graph/applications/$objectId" @{
    identifierUris = @("api://$appId")
    api            = @{ requestedAccessTokenVersion = 2; oauth2PermissionScopes = @($scope + @{ id = $scopeId }) }
  }
}
# The whole api object again: a PATCH replaces a complex property as a whole.
Invoke-Graph PATCH "$graph/applications/$objectId" @{
  api = @{
    requestedAccessTokenVersion = 2
    oauth2PermissionScopes      = @($scope + @{ id = $scopeId })
    preAuthorizedApplications   = @(@{ appId = $azureCliAppId; delegatedPermissionIds = @($scopeId) })
  }
}

$spId = az ad sp list --filter "appId eq '$appId'" --query '[0].id' -o tsv
if ($spId -notmatch $guid) { $spId = az ad sp create --id $appId --query id -o tsv }
Invoke-Graph PATCH "$graph/servicePrincipals/$spId" @{ appRoleAssignmentRequired = $true }

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

Write-Host "preprovision: API app registration $appId (audience api://$appId)"
