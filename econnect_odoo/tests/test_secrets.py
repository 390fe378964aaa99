import logging
import os
import stat
import subprocess
import sys
import tempfile
import time
from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import config

from ..tools import crypto
from .common import CLIENT_SECRET, PASSWORD, EconnectSimulatorMixin


@tagged("post_install", "-at_install")
class TestSecrets(EconnectSimulatorMixin, TransactionCase):
    def test_accountant_cannot_read_secrets_by_rpc(self):
        accountant = self.econnect_user(login="accountant_rpc", groups="account.group_account_invoice")
        connection = self.connection.with_user(accountant)
        for field in ("client_secret_encrypted", "password_encrypted", "client_secret", "password", "client_id"):
            with self.assertRaises(AccessError, msg=field):
                connection.read([field])
        with self.assertRaises(AccessError):
            self.company.with_user(accountant).read(["econnect_webhook_secret_encrypted"])

    def test_admin_reads_no_secret_either(self):
        admin = self.econnect_admin(login="econnect_admin_rpc")
        data = self.connection.with_user(admin).read(["client_secret", "password", "client_secret_is_set"])[0]
        self.assertFalse(data["client_secret"])
        self.assertFalse(data["password"])
        self.assertTrue(data["client_secret_is_set"])

    def test_secrets_are_not_exportable(self):
        admin = self.econnect_admin(login="econnect_admin_export")
        admin.groups_id += self.env.ref("base.group_allow_export")
        fields_info = self.env["econnect.connection"].with_user(admin).fields_get()
        exportable = {name for name, info in fields_info.items() if info.get("exportable", True)}
        for field in ("client_secret_encrypted", "password_encrypted", "subscription_key_encrypted",
                      "client_secret", "password", "subscription_key"):
            self.assertNotIn(field, exportable)
        rows = self.connection.with_user(admin).export_data(["name", "client_secret", "password"])["datas"]
        flat = " ".join(str(value) for row in rows for value in row)
        self.assertNotIn(CLIENT_SECRET, flat)
        self.assertNotIn(PASSWORD, flat)

    def test_secrets_never_logged(self):
        loggers = ["odoo.addons.econnect_odoo", "urllib3", "requests"]
        with self.assertLogs(loggers[0], level="DEBUG") as captured:
            for name in loggers[1:]:
                logging.getLogger(name).setLevel(logging.DEBUG)
            try:
                logging.getLogger(loggers[0]).info("capture starts")
                self.connection.action_test_connection()
                self.connection.password = "wrong-password-xyz"
                with self.assertRaises(Exception):  # noqa: B017 - any refusal; its text is what we check
                    self.connection.action_test_connection()
            finally:
                for name in loggers[1:]:
                    logging.getLogger(name).setLevel(logging.WARNING)
        text = "\n".join(captured.output)
        for secret in (CLIENT_SECRET, PASSWORD, "wrong-password-xyz"):
            self.assertNotIn(secret, text)

    def test_multi_company_isolation(self):
        other = self.env["res.company"].create({"name": "Company B"})
        other_connection = self.env["econnect.connection"].create({
            "name": "B's keys", "environment": "acceptance", "client_id": "b", "client_secret": "b-secret",
        })
        other.econnect_connection_id = other_connection
        user_b = new_test_user(
            self.env, login="user_of_b", groups="base.group_user,econnect_odoo.group_econnect_admin",
            company_id=other.id, company_ids=[(6, 0, other.ids)],
        )
        visible = self.env["econnect.connection"].with_user(user_b).search([])
        self.assertIn(other_connection, visible)
        self.assertNotIn(self.connection, visible, "company B sees nothing of company A")
        user_b.groups_id += self.env.ref("base.group_system")  # may edit company B's settings
        with self.assertRaisesRegex(AccessError, "connection of a company you work in"):
            other.with_user(user_b).write({"econnect_connection_id": self.connection.id})
        self.assertEqual(other.econnect_connection_id, other_connection, "A's keys are not B's to borrow")
        new_keys = self.env["econnect.connection"].with_user(user_b).create({"name": "B's new keys"})
        other.with_user(user_b).write({"econnect_connection_id": new_keys.id})
        self.assertEqual(other.econnect_connection_id, new_keys, "B's administrator chooses B's own keys")


@tagged("post_install", "-at_install")
class TestMasterKey(EconnectSimulatorMixin, TransactionCase):
    def test_key_file_created_once_owner_only(self):
        with tempfile.TemporaryDirectory() as data_dir, \
                patch.dict(config.options, {"data_dir": data_dir, crypto.CONFIG_OPTION: False}), \
                patch.dict(os.environ, {}, clear=False):
            os.environ.pop(crypto.ENV_VARIABLE, None)
            token = crypto.encrypt("top secret")
            path = crypto.key_file_path()
            self.assertTrue(os.path.exists(path))
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            with open(path, encoding="ascii") as handle:
                key = handle.read()
            self.assertEqual(crypto.decrypt(token), "top secret")
            crypto.encrypt("again")
            with open(path, encoding="ascii") as handle:
                self.assertEqual(handle.read(), key, "created once, never replaced")

    def test_workers_starting_at_once_share_one_key_file(self):
        """Prefork: several workers create the key file at the same moment; all of them end up with the same key."""
        script = (
            "import importlib.util, os, sys, time\n"
            "from odoo.tools import config\n"
            "spec = importlib.util.spec_from_file_location('crypto', sys.argv[1])\n"
            "crypto = importlib.util.module_from_spec(spec); spec.loader.exec_module(crypto)\n"
            "config['data_dir'] = sys.argv[2]\n"
            "while not os.path.exists(sys.argv[3]): time.sleep(0.001)\n"
            "print(crypto._read_or_create_key_file())\n"
        )
        with tempfile.TemporaryDirectory() as data_dir:
            go = os.path.join(data_dir, "go")
            workers = [
                subprocess.Popen(  # noqa: S603 (our own script, our own arguments)
                    [sys.executable, "-c", script, crypto.__file__, data_dir, go], stdout=subprocess.PIPE, text=True
                )
                for _ in range(6)
            ]
            time.sleep(1.5)  # all of them imported and waiting
            open(go, "w").close()
            keys = {worker.communicate(timeout=60)[0].strip() for worker in workers}
            with open(os.path.join(data_dir, crypto.KEY_FILE_NAME), encoding="ascii") as handle:
                stored = handle.read().strip()
            self.assertEqual(keys, {stored}, "every worker reads the one key written")
            self.assertEqual(sorted(os.listdir(data_dir)), [crypto.KEY_FILE_NAME, "go"], "no draft left behind")

    def test_rotation_command_reencrypts_every_secret(self):
        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        with patch.dict(config.options, {crypto.CONFIG_OPTION: old}):
            self.connection.client_secret = CLIENT_SECRET
            self.connection.password = PASSWORD
            self.company.action_econnect_activate()
            webhook_secret = self.company._econnect_webhook_secret()
        with patch.dict(config.options, {crypto.CONFIG_OPTION: f"{new},{old}"}):
            count = self.env["econnect.connection"]._econnect_rotate_all_secrets()
            self.assertGreaterEqual(count, 3)
        with patch.dict(config.options, {crypto.CONFIG_OPTION: new}):  # the old key is gone
            self.assertEqual(self.connection._econnect_secret("client_secret"), CLIENT_SECRET)
            self.assertEqual(self.connection._econnect_secret("password"), PASSWORD)
            self.assertEqual(self.company._econnect_webhook_secret(), webhook_secret)

    def test_wrong_key_is_a_clear_error(self):
        with patch.dict(config.options, {crypto.CONFIG_OPTION: Fernet.generate_key().decode()}), \
                self.assertRaisesRegex(crypto.SecretError, "rotation command"):
            self.connection._econnect_secret("client_secret")
