"""Share the running app through an ngrok tunnel (pyngrok), for a demo from your laptop.

ngrok needs a free account: put its auth token in the NGROK_AUTHTOKEN environment variable
(https://dashboard.ngrok.com/get-started/your-authtoken). On first use pyngrok downloads the
ngrok binary. Anyone with the printed URL reaches your app while it runs: stop it with Ctrl-C.
"""

from __future__ import annotations

import os

TOKEN_VARIABLE = "NGROK_AUTHTOKEN"

NO_TOKEN = f"""\
{TOKEN_VARIABLE} is not set, so no tunnel was opened.
ngrok needs a (free) account to share a local app on a public URL:
  1. sign up at https://dashboard.ngrok.com/signup
  2. copy your token from https://dashboard.ngrok.com/get-started/your-authtoken
  3. run:  {TOKEN_VARIABLE}=<your token> make tunnel
To use the app on this machine only, run `make serve` instead."""


class TunnelError(RuntimeError):
    """The tunnel cannot be opened; the message says why and what to do."""


def open_tunnel(port: int, token: str | None = None) -> str:
    """Open an HTTPS tunnel to 127.0.0.1:``port`` and return its public URL."""
    token = token or os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise TunnelError(NO_TOKEN)
    from pyngrok import conf, ngrok  # only here: importing it never starts ngrok, but keep it lazy

    conf.get_default().auth_token = token
    tunnel = ngrok.connect(str(port), "http")
    return str(tunnel.public_url)


def close_tunnels() -> None:
    from pyngrok import ngrok

    ngrok.kill()
