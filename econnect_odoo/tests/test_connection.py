import datetime as dt
import http.server
import os
import socket
import ssl
import tempfile
import threading
from pathlib import Path
from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from .common import CLIENT_SECRET, PARTY, PASSWORD, EconnectSimulatorMixin


def _self_signed_cert(folder):
    """A certificate for localhost that nobody trusts, and its key (files in ``folder``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ))
    return cert_file, key_file


@tagged("post_install", "-at_install")
class TestConnection(EconnectSimulatorMixin, TransactionCase):
    def test_environment_fills_urls(self):
        connection = self.env["econnect.connection"].create({"name": "Acc", "environment": "acceptance"})
        self.assertEqual(connection.api_url, "https://accp-psb.econnect.eu")
        self.assertEqual(connection.identity_url, "https://accp-identity.econnect.eu")
        connection.environment = "production"
        self.assertEqual(connection.api_url, "https://psb.econnect.eu")
        self.assertEqual(connection.identity_url, "https://identity.econnect.eu")

    def test_custom_urls_must_be_https_unless_loopback(self):
        with self.assertRaisesRegex(ValidationError, "HTTPS"):
            self.env["econnect.connection"].create({
                "name": "Plain", "environment": "custom",
                "api_url": "http://psb.example.com", "identity_url": "https://id.example.com",
            })
        ok = self.env["econnect.connection"].create({
            "name": "Local", "environment": "custom",
            "api_url": "http://127.0.0.1:8070", "identity_url": "http://localhost:8070",
        })
        self.assertTrue(ok)

    def test_test_connection_shows_parties_and_permissions(self):
        action = self.connection.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("NL:KVK:12345678", action["params"]["message"])
        ids = [p["id"] for p in self.connection.party_info]
        self.assertIn("NL:KVK:12345678", ids)
        self.assertIn("send", self.connection.party_summary)
        self.assertTrue(self.connection.last_test_date)
        token_calls = self.requests_to("/connect/token")
        self.assertEqual(len(token_calls), 1)

    def _assert_failure_changes_nothing(self, connection, pattern):
        before = (connection.party_info, connection.last_test_date)
        with self.assertRaisesRegex(UserError, pattern):
            connection.action_test_connection()
        self.assertEqual((connection.party_info, connection.last_test_date), before)

    def test_wrong_password(self):
        self.connection.password = "wrong"
        self._assert_failure_changes_nothing(self.connection, "refused the credentials")

    def test_wrong_client_secret(self):
        self.connection.client_secret = "wrong"
        self._assert_failure_changes_nothing(self.connection, "refused the credentials")

    def test_forbidden(self):
        self.simulator.faults.fail_next(1, status=403, path_contains="/me/party")
        self._assert_failure_changes_nothing(self.connection, "refused the request")

    def test_psb_down(self):
        self.env["ir.config_parameter"].set_param("econnect_odoo.max_retry_seconds", "1")
        self.simulator.faults.fail_next(50, status=503)
        self._assert_failure_changes_nothing(self.connection, "temporarily unavailable")

    def test_network_unreachable(self):
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # (the keys are entered again: a change of URL clears them)
        self.connection.write({
            "api_url": f"http://127.0.0.1:{port}", "identity_url": f"http://127.0.0.1:{port}",
            "client_secret": CLIENT_SECRET, "password": PASSWORD,
        })
        self._assert_failure_changes_nothing(self.connection, "could not reach eConnect")

    def test_untrusted_certificate(self):
        """A TLS failure (here a self-signed certificate) has its own message, not the network one."""
        with tempfile.TemporaryDirectory() as folder:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*_self_signed_cert(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = f"https://localhost:{server.server_address[1]}"
        self.connection.write({
            "api_url": url, "identity_url": url, "client_secret": CLIENT_SECRET, "password": PASSWORD,
        })
        with patch.dict(os.environ):
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
            os.environ.pop("CURL_CA_BUNDLE", None)
            self._assert_failure_changes_nothing(self.connection, "secure connection to eConnect failed")

    def test_missing_keys_are_named(self):
        connection = self.env["econnect.connection"].create({
            "name": "Empty", "environment": "custom",
            "api_url": self.simulator.api_url, "identity_url": self.simulator.identity_url,
        })
        with self.assertRaisesRegex(UserError, "Client ID"):
            connection.action_test_connection()

    def test_secrets_are_encrypted_at_rest(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT client_secret_encrypted, password_encrypted FROM econnect_connection WHERE id = %s",
            [self.connection.id],
        )
        stored_secret, stored_password = self.env.cr.fetchone()
        self.assertTrue(stored_secret and stored_password)
        self.assertNotIn(CLIENT_SECRET, stored_secret)
        self.assertNotIn(PASSWORD, stored_password)
        self.assertTrue(stored_secret.startswith("gAAAAA"), "a Fernet token")
        self.assertEqual(self.connection._econnect_secret("client_secret"), CLIENT_SECRET)

    def test_secrets_are_write_only(self):
        self.assertFalse(self.connection.client_secret)
        self.assertTrue(self.connection.client_secret_is_set)
        self.assertFalse(self.connection.subscription_key_is_set)
        data = self.connection.read(["client_secret", "password"])[0]
        self.assertFalse(data["client_secret"])
        self.assertFalse(data["password"])

    def test_secrets_not_in_tracking_messages(self):
        self.connection.client_secret = "new-secret-value"
        self.connection.password = "new-password-value"
        self.env.flush_all()
        bodies = " ".join(
            str(v) for v in self.connection.message_ids.mapped("body")
            + self.connection.message_ids.tracking_value_ids.mapped("old_value_char")
            + self.connection.message_ids.tracking_value_ids.mapped("new_value_char")
        )
        self.assertNotIn("new-secret-value", bodies)
        self.assertNotIn("new-password-value", bodies)

    def test_party_id_proposed_from_registry(self):
        nl = self.env.ref("base.nl")
        company = self.env["res.company"].create({"name": "NL BV", "country_id": nl.id, "company_registry": "87654321"})
        self.assertEqual(company.econnect_party_id, "0106:87654321")
        be = self.env.ref("base.be")
        company_be = self.env["res.company"].create({"name": "BE NV", "country_id": be.id, "vat": "BE0477472701"})
        self.assertEqual(company_be.econnect_party_id, "0208:0477472701")
        company_de = self.env["res.company"].create({"name": "DE GmbH", "country_id": self.env.ref("base.de").id})
        self.assertFalse(company_de.econnect_party_id)

    def test_party_id_validated_per_scheme(self):
        company = self.env["res.company"].create({"name": "Check BV"})
        for good in ("0106:12345678", "NL:KVK:12345678", "0190:00000001234567890000", "0208:0477472701",
                     "9925:BE0477472701", "9944:NL004495445B01", "0088:5790000435968"):
            company.econnect_party_id = good
        company.econnect_party_id = "NL:KVK:12345678"
        self.assertEqual(company.econnect_party_id, "0106:12345678", "stored in the normal form")
        for bad in ("0106:1234567", "0190:123", "0208:0477472702", "9944:NL123", "0088:5790000435969", "junk"):
            with self.assertRaises(ValidationError, msg=bad):
                company.econnect_party_id = bad
                self.env.flush_all()
        self.assertEqual(PARTY, "0106:12345678")
