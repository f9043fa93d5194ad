# azd postdown hook (PowerShell). Same job as postdown.sh: purge protection keeps a deleted
# Key Vault, and its name, for 90 days, so draw a new name salt for the next azd up in this
# environment. CI keeps its salt in a repository variable and is left alone. The partner key
# went with the vault: PARTNER_KEY_EXISTS goes back to false at once.
$ErrorActionPreference = 'Stop'

azd env set PARTNER_KEY_EXISTS false
if ($LASTEXITCODE -ne 0) { throw 'postdown: azd env set PARTNER_KEY_EXISTS failed' }
if ($env:GITHUB_ACTIONS -eq 'true' -or $env:TF_BUILD -eq 'True') { exit 0 }
$salt = [guid]::NewGuid().ToString('N').Substring(0, 8)
azd env set KEY_VAULT_SALT $salt
if ($LASTEXITCODE -ne 0) { throw 'postdown: azd env set KEY_VAULT_SALT failed' }
Write-Host "postdown: the next azd up creates its Key Vault under a new name (salt $salt);"
Write-Host '  the deleted vault stays recoverable for 90 days: to get it back, recover it and'
Write-Host "  azd env set KEY_VAULT_SALT '$($env:KEY_VAULT_SALT)' (docs/deploy.md, Tear down)."
Write-Host '  The partner key is in that vault too: store it again after the next azd up'
Write-Host '  (docs/deploy.md, "Set the partner API key"), then azd provision once more.'
