"""`make backup`: upload a snapshot of the database to a Google Drive folder.

Credentials come from the environment only, never from a file in the repository:
- GOOGLE_APPLICATION_CREDENTIALS: path to a service-account JSON key, or
- GOOGLE_SERVICE_ACCOUNT_JSON: the key's JSON itself (handy for a CI secret);
- GDRIVE_FOLDER_ID: the folder to upload into (the last part of the folder's URL).

A service account has no Drive storage of its own: put the folder in a shared drive and add the
service account as a member (Content manager), or uploads fail with "storageQuotaExceeded".

The snapshot is a single SQLite file (storage.snapshot) whatever the database, so a backup of
MySQL data opens anywhere. `upload()` takes the Drive client as a parameter: the tests pass a
fake one and never touch the network.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from . import storage

SCOPES = ["https://www.googleapis.com/auth/drive.file"]
SQLITE_MIME = "application/vnd.sqlite3"


class BackupConfigError(RuntimeError):
    """Credentials or folder missing or unreadable."""


def folder_id_from_env() -> str:
    folder = os.environ.get("GDRIVE_FOLDER_ID", "").strip()
    if not folder:
        raise BackupConfigError(
            "GDRIVE_FOLDER_ID is not set: export the ID of the Drive folder to upload into"
        )
    return folder


def credentials_from_env() -> Any:
    """Service-account credentials from GOOGLE_SERVICE_ACCOUNT_JSON or
    GOOGLE_APPLICATION_CREDENTIALS (BackupConfigError when neither is usable)."""
    from google.oauth2 import service_account

    raw = os.environ.get("GOOGLE_SERVICE_ACCOUNT_JSON", "").strip()
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    try:
        if raw:
            info = json.loads(raw)
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        if path:
            return service_account.Credentials.from_service_account_file(path, scopes=SCOPES)
    except (ValueError, KeyError, OSError) as error:
        source = "GOOGLE_SERVICE_ACCOUNT_JSON" if raw else f"GOOGLE_APPLICATION_CREDENTIALS={path}"
        message = f"cannot read the service-account key from {source}: {error}"
        raise BackupConfigError(message) from error
    raise BackupConfigError(
        "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key "
        "file, or GOOGLE_SERVICE_ACCOUNT_JSON to its contents (never commit the key)"
    )


def drive_client(credentials: Any) -> Any:
    """A Drive v3 client. The API description ships with the library: building it is offline."""
    from googleapiclient.discovery import build

    return build("drive", "v3", credentials=credentials, cache_discovery=False)


def upload(path: str | Path, folder_id: str, client: Any, name: str | None = None) -> str:
    """Upload the file at `path` into Drive folder `folder_id`; returns the new file's ID."""
    from googleapiclient.http import MediaFileUpload

    path = Path(path)
    media = MediaFileUpload(str(path), mimetype=SQLITE_MIME, resumable=True)
    body = {"name": name or path.name, "parents": [folder_id]}
    created = (
        client.files()
        .create(body=body, media_body=media, fields="id", supportsAllDrives=True)
        .execute()
    )
    return str(created["id"])


def backup(engine: Engine, out_dir: str | Path = "data/backups", client: Any = None) -> str:
    """Snapshot the database and upload it; returns the Drive file ID."""
    folder = folder_id_from_env()  # fail before any work when the configuration is missing
    client = client or drive_client(credentials_from_env())
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    snapshot = storage.snapshot(engine, Path(out_dir) / f"books-{stamp}.sqlite")
    return upload(snapshot, folder, client)
