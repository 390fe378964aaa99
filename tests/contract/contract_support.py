"""Accounts and the client of the contract suite (the fixtures are in conftest.py)."""

from psb_support import FakeTime

from psb.client import PSBClient

CLIENT_ID = "contract-client"
CLIENT_SECRET = "contract-secret"
USERNAME = "contract-user"
PASSWORD = "contract-password"
#: a second party of the user, with letters in its value (Belgian VAT): its id must be url-encoded too
BE_VAT = "9925:BE0123456749"


def make_client(sim, **overrides):
    fake = FakeTime()
    settings = {
        "api_url": sim.api_url,
        "identity_url": sim.identity_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
        "sleep": fake.sleep,
        "clock": fake.clock,
    }
    settings.update(overrides)
    return PSBClient(**settings)
