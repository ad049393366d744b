# Create the virtual environment and install the project with its dev tools (Windows).
# Safe to run again: it reuses an existing environment.
#   powershell -ExecutionPolicy Bypass -File scripts\setup.ps1
#   $env:PYTHON = "py -3.12"; .\scripts\setup.ps1    # choose the interpreter
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

$Python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
$Venv = if ($env:VENV) { $env:VENV } else { ".venv" }
$VenvPython = Join-Path $Venv "Scripts\python.exe"

function Invoke-Checked {
    param([string]$Exe, [string[]]$Arguments)
    Write-Host "==> $Exe $($Arguments -join ' ')"
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe failed with exit code $LASTEXITCODE" }
}

# PYTHON may be a command with arguments, such as "py -3.12".
$PythonParts = $Python -split " "
$PythonExe = $PythonParts[0]
$PythonArgs = @()
if ($PythonParts.Length -gt 1) { $PythonArgs = $PythonParts[1..($PythonParts.Length - 1)] }

if (Get-Command uv -ErrorAction SilentlyContinue) {
    if (-not (Test-Path $VenvPython)) {
        # uv takes a version or a path, not a launcher command: "py -3.12" becomes "3.12".
        $UvPython = if ($PythonExe -eq "py" -and $PythonArgs.Length -gt 0) { $PythonArgs[0].TrimStart("-") } else { $PythonExe }
        Invoke-Checked "uv" @("venv", $Venv, "--python", $UvPython)
    } else {
        Write-Host "==> reusing $Venv"
    }
    Invoke-Checked "uv" @("pip", "install", "--python", $VenvPython, "-e", ".[dev]")
} else {
    if (-not (Test-Path $VenvPython)) {
        Invoke-Checked $PythonExe ($PythonArgs + @("-m", "venv", $Venv))
    } else {
        Write-Host "==> reusing $Venv"
    }
    Invoke-Checked $VenvPython @("-m", "pip", "install", "--upgrade", "pip")
    Invoke-Checked $VenvPython @("-m", "pip", "install", "-e", ".[dev]")
}

Write-Host "==> done: run $VenvPython -m pytest; README.md lists the train and serve commands"
