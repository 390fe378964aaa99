"""The demo environment: eConnect's PSB played by the project's simulator, so anyone can try the addon.

The simulator is development tooling (``psb_simulator/`` in the repository, ``bin/psb-simulator --demo``); it
never runs inside an Odoo worker. It runs as a process of its own on loopback, and its URL is given as the
``econnect_demo_url`` option of the Odoo configuration file or the ``ECONNECT_DEMO_URL`` environment variable
(``tools/run_demo.py`` does both). In demo mode it accepts any credentials and every party id, and nothing ever
reaches the Peppol network.
"""

import os

from odoo.tools import config

CONFIG_OPTION = "econnect_demo_url"
ENV_VARIABLE = "ECONNECT_DEMO_URL"
DEMO_CREDENTIALS = {
    "client_id": "econnect-odoo-demo",
    "client_secret": "demo",
    "username": None,
    "password": None,
    "subscription_key": None,
}


def demo_url():
    """The URL of the demo simulator, or None when none is configured."""
    url = config.get(CONFIG_OPTION) or os.environ.get(ENV_VARIABLE)
    return url.rstrip("/") if url else None


def ensure_demo_party(party_id, name=None):
    """Let the demo simulator's account act for ``party_id`` (a real eConnect account is set up by
    eConnect; the demo one grows with the companies that use it)."""
    import requests

    response = requests.post(
        f"{demo_url()}/_sim/demo-parties", json={"party": party_id, "name": name}, timeout=10
    )
    response.raise_for_status()
