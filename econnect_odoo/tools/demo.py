"""The demo environment: eConnect's PSB played by our simulator, so anyone can try the addon.

The simulator runs either as a separate process (``bin/psb-simulator --demo``; give its URL as the
``econnect_demo_url`` option of the Odoo configuration file or the ``ECONNECT_DEMO_URL`` environment
variable) or, when no URL is configured, inside the Odoo process itself, started on first use on an
ephemeral port of 127.0.0.1. In demo mode it accepts any credentials and every party id, and nothing
ever reaches the Peppol network.
"""

import os
import threading

from odoo.tools import config

from ..psb.simulator import PSBSimulator

CONFIG_OPTION = "econnect_demo_url"
ENV_VARIABLE = "ECONNECT_DEMO_URL"
DEMO_CREDENTIALS = {
    "client_id": "econnect-odoo-demo",
    "client_secret": "demo",
    "username": None,
    "password": None,
    "subscription_key": None,
}

_lock = threading.Lock()
_simulator = None


def configured_demo_url():
    url = config.get(CONFIG_OPTION) or os.environ.get(ENV_VARIABLE)
    return url.rstrip("/") if url else None


def in_process_simulator():
    """The simulator running inside this Odoo process (started on first use)."""
    global _simulator
    with _lock:
        if _simulator is None:
            simulator = PSBSimulator(demo=True)
            simulator.start()
            _simulator = simulator
        return _simulator


def demo_url():
    return configured_demo_url() or in_process_simulator().api_url


def ensure_demo_party(party_id, name=None):
    """Let the demo simulator's account act for ``party_id`` (a real eConnect account is set up by
    eConnect; the demo one grows with the companies that use it)."""
    configured = configured_demo_url()
    if not configured:
        in_process_simulator().add_demo_party(party_id, name)
        return
    import requests  # only for a simulator in another process

    response = requests.post(
        f"{configured}/_sim/demo-parties", json={"party": party_id, "name": name}, timeout=10
    )
    response.raise_for_status()


def stop_in_process_simulator():
    """Stop the in-process simulator (tests; a later demo call starts a fresh one)."""
    global _simulator
    with _lock:
        if _simulator is not None:
            _simulator.stop()
            _simulator = None
