"""Attacks by users of Odoo itself, performed over JSON-RPC as the attacking user (the web client's own route):
another company's eConnect administrator, a plain employee, an administrator writing events, and an
administrator trying to send the connection's keys somewhere else."""

import http.server
import json
import threading
from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import config, mute_logger

from ..tools import crypto
from .common import BUYER_PARTY, CLIENT_ID, CLIENT_SECRET, PASSWORD, EconnectReceiveMixin

NL = "nl_NL"
# Words of the Dutch refusals (the user's language)
ACCESS_NL = "bedrijven waarin je werkt"


class Listener:
    """An HTTP server on 127.0.0.1 that answers 200 to everything and keeps every request body: where an attacker
    would like the connection's keys to go."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"access_token": "stolen", "expires_in": 300}')

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def got(self, text):
        return any(text.encode() in body for body in self.bodies)


class JsonRpcMixin:
    def rpc(self, login, model, method, *args, **kwargs):
        """Call ``model.method(*args, **kwargs)`` through /web/dataset/call_kw as ``login`` (password = login), in the
        user's language as the web client does; returns ``(result, error)``."""
        self.authenticate(login, login)
        user = self.env["res.users"].search([("login", "=", login)])
        context = {
            "lang": user.lang, "tz": "Europe/Amsterdam", "uid": user.id, "allowed_company_ids": user.company_ids.ids,
        }
        payload = {
            "jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"model": model, "method": method, "args": list(args), "kwargs": {**kwargs, "context": context}},
        }
        self.env.flush_all()
        with mute_logger("odoo.http"):  # refusals are logged as warnings by Odoo's dispatcher
            response = self.url_open(
                "/web/dataset/call_kw", data=json.dumps(payload), headers={"Content-Type": "application/json"}
            )
        self.env.invalidate_all()
        data = response.json()
        return data.get("result"), data.get("error")

    def assertRefused(self, error, kind="odoo.exceptions.AccessError", words=None):
        self.assertTrue(error, "the call was refused")
        self.assertEqual(error["data"]["name"], kind, error["data"]["message"])
        if words:
            self.assertIn(words, error["data"]["message"])


@tagged("post_install", "-at_install")
class TestCompanyAttacks(JsonRpcMixin, EconnectReceiveMixin, HttpCase):
    """Company B (``cls.company``) is active at eConnect and receives; the attacker administers company A only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang(NL)
        cls.env["ir.module.module"]._load_module_terms(["econnect_odoo"], [NL], overwrite=True)
        cls.company_a = cls.env["res.company"].create({"name": "Attacker A BV"})
        cls.attacker = new_test_user(
            cls.env, login="admin_of_a", groups="base.group_user,account.group_account_manager",
            company_id=cls.company_a.id, company_ids=[(6, 0, cls.company_a.ids)], lang=NL,
        )
        cls.admin_b = new_test_user(
            cls.env, login="admin_of_b", groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)], lang=NL,
        )
        cls.employee_b = new_test_user(
            cls.env, login="employee_of_b", groups="base.group_user",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)], lang=NL,
        )
        cls.env.flush_all()

    def setUp(self):
        super().setUp()
        self.keep_hook()
        self.secret_before = self.company._econnect_webhook_secret()

    def assertCompanyUntouched(self):
        self.env.invalidate_all()
        company = self.company.sudo()
        self.assertEqual(company.econnect_state, "active")
        self.assertTrue(company.econnect_receive)
        self.assertTrue(company.econnect_hook_id)
        self.assertEqual(company._econnect_webhook_secret(), self.secret_before, "the webhook secret was not rotated")

    # ------------------------------------------------------------------------------------------
    # Another company's eConnect administrator
    # ------------------------------------------------------------------------------------------
    def test_other_admin_cannot_switch_receiving_off(self):
        _result, error = self.rpc("admin_of_a", "res.company", "econnect_set_receive", [self.company.id], False)
        self.assertRefused(error, words=ACCESS_NL)
        self.assertCompanyUntouched()
        self.assertFalse(self.requests_to("/peppol/config"), "nothing was switched at eConnect")

    def test_other_admin_cannot_deactivate(self):
        _result, error = self.rpc("admin_of_a", "res.company", "action_econnect_deactivate", [self.company.id])
        self.assertRefused(error, words=ACCESS_NL)
        self.assertCompanyUntouched()
        self.assertFalse(self.requests_to("/hook", method="DELETE"))

    def test_other_admin_cannot_reactivate_and_rotate_the_webhook_secret(self):
        _result, error = self.rpc("admin_of_a", "res.company", "action_econnect_activate", [self.company.id])
        self.assertRefused(error, words=ACCESS_NL)
        self.assertCompanyUntouched()
        self.assertFalse(self.requests_to("/hook", method="PUT"))

    def test_other_admin_cannot_use_the_connection_of_another_company(self):
        for method in ("action_test_connection", "write"):
            args = ([self.connection.id], {"name": "Mine now"}) if method == "write" else ([self.connection.id],)
            _result, error = self.rpc("admin_of_a", "econnect.connection", method, *args)
            self.assertRefused(error)
        self.assertFalse(self.requests_to("/connect/token"))

    def test_access_rights_admin_of_another_company_cannot_write_its_econnect(self):
        """Company A's eConnect administrator who may also edit companies (Access Rights: every company, by Odoo's
        own rule) writes company B's eConnect fields directly, or saves them on B's company form."""
        new_test_user(
            self.env, login="erp_admin_of_a",
            groups="base.group_user,base.group_erp_manager,account.group_account_manager",
            company_id=self.company_a.id, company_ids=[(6, 0, self.company_a.ids)], lang=NL,
        )
        other_journal = self.env["account.journal"].create({
            "name": "Other purchases", "code": "OPUR", "type": "purchase", "company_id": self.company.id,
        })
        respond = self.company.sudo().econnect_respond
        self.env.flush_all()
        for values in (
            {"econnect_receive": False}, {"econnect_respond": not respond},
            {"econnect_receive_journal_id": other_journal.id}, {"econnect_delete_after_download": True},
            {"econnect_respond_pd": True},
        ):
            with self.subTest(values=values):
                _result, error = self.rpc("erp_admin_of_a", "res.company", "write", [self.company.id], values)
                self.assertRefused(error, words=ACCESS_NL)
                _result, error = self.rpc("erp_admin_of_a", "res.company", "web_save", [self.company.id], values, {})
                self.assertRefused(error, words=ACCESS_NL)
        # nor through a connection of their own that takes company B in (it would send B's invoices with its keys)
        _result, error = self.rpc("erp_admin_of_a", "econnect.connection", "create", [{
            "name": "Mine", "environment": "acceptance", "company_ids": [(4, self.company.id)],
        }])
        self.assertRefused(error, words=ACCESS_NL)
        company = self.company.sudo()
        self.assertEqual(company.econnect_connection_id, self.connection)
        self.assertEqual(company.econnect_receive_journal_id, self.receive_journal)
        self.assertEqual(company.econnect_respond, respond)
        self.assertFalse(company.econnect_delete_after_download or company.econnect_respond_pd)
        self.assertCompanyUntouched()
        self.assertFalse(self.requests_to("/peppol/config"), "nothing was switched at eConnect")
        # the rest of company B is still theirs to edit (Odoo's own right)
        _result, error = self.rpc(
            "erp_admin_of_a", "res.company", "write", [self.company.id], {"report_header": "Ours"}
        )
        self.assertFalse(error, error)

    def test_other_admin_cannot_change_a_connection_shared_with_another_company(self):
        """Companies A and B share one connection (one eConnect account, a party each): A's administrator sees it
        (the record rule lets in anybody working in one of its companies) but may not change B's keys, name it,
        archive or delete it."""
        self.company_a.econnect_connection_id = self.connection
        self.env.flush_all()
        for values in (
            {"client_secret": "attacker-secret"}, {"client_id": "attacker-client"}, {"username": "attacker"},
            {"password": "attacker-password"}, {"name": "Mine now"}, {"active": False},
        ):
            with self.subTest(values=values):
                _result, error = self.rpc("admin_of_a", "econnect.connection", "write", [self.connection.id], values)
                self.assertRefused(error, words=ACCESS_NL)
        _result, error = self.rpc("admin_of_a", "econnect.connection", "unlink", [self.connection.id])
        self.assertRefused(error, words=ACCESS_NL)
        _result, error = self.rpc("admin_of_a", "econnect.connection", "action_test_connection", [self.connection.id])
        self.assertRefused(error, words=ACCESS_NL)
        connection = self.connection.sudo()
        self.assertTrue(connection.exists() and connection.active)
        self.assertEqual((connection.name, connection.client_id), ("Simulator", CLIENT_ID))
        self.assertEqual(connection._econnect_secret("client_secret"), CLIENT_SECRET)
        self.assertEqual(connection._econnect_secret("password"), PASSWORD)
        self.assertCompanyUntouched()
        # an administrator of both companies changes it
        admin_of_both = new_test_user(
            self.env, login="admin_of_both", groups="base.group_user,account.group_account_manager",
            company_id=self.company.id, company_ids=[(6, 0, (self.company | self.company_a).ids)],
        )
        self.env.flush_all()
        _result, error = self.rpc(admin_of_both.login, "econnect.connection", "write", [self.connection.id],
                                  {"name": "Shared"})
        self.assertFalse(error, error)
        self.assertEqual(self.connection.name, "Shared")

    def test_other_admin_cannot_retry_or_fetch_for_another_company(self):
        event = self.failed_event()
        _result, error = self.rpc("admin_of_a", "econnect.event", "action_econnect_retry", [event.id])
        self.assertRefused(error)
        self.assertEqual(event.state, "error")
        _result, error = self.rpc("admin_of_a", "account.journal", "action_econnect_fetch", [self.receive_journal.id])
        self.assertRefused(error)

    def test_own_admin_still_acts(self):
        """The same calls by company B's own administrator work (the check refuses only what it must)."""
        _result, error = self.rpc("admin_of_b", "econnect.connection", "action_test_connection", [self.connection.id])
        self.assertFalse(error, error)

    # ------------------------------------------------------------------------------------------
    # Events are written by the system only
    # ------------------------------------------------------------------------------------------
    def failed_event(self):
        event = self.env["econnect.event"].sudo().create({
            "company_id": self.company.id, "topic": "InvoiceSentError", "document_id": "unknown-document",
            "message": "not delivered", "event_key": "attack-test", "state": "error", "attempts": 5,
        })
        self.env.flush_all()
        return event

    def test_admin_cannot_write_or_create_events_but_retries_them(self):
        event = self.failed_event()
        other = self.company_a
        forged = {"company_id": other.id, "topic": "InvoiceReceived", "message": "pay me", "state": "pending"}
        _result, error = self.rpc("admin_of_b", "econnect.event", "write", [event.id], forged)
        self.assertRefused(error)
        _result, error = self.rpc(
            "admin_of_b", "econnect.event", "create", [{**forged, "company_id": self.company.id, "event_key": "x"}]
        )
        self.assertRefused(error)
        _result, error = self.rpc("admin_of_b", "econnect.event", "unlink", [event.id])
        self.assertRefused(error)
        self.assertEqual(
            (event.company_id, event.topic, event.message), (self.company, "InvoiceSentError", "not delivered")
        )
        # the Retry button stays
        _result, error = self.rpc("admin_of_b", "econnect.event", "action_econnect_retry", [event.id])
        self.assertFalse(error, error)
        self.assertEqual(event.state, "done")

    # ------------------------------------------------------------------------------------------
    # Plain employees do not spend the company's credentials
    # ------------------------------------------------------------------------------------------
    def test_plain_employee_cannot_trigger_a_receiver_lookup(self):
        customer = self.env["res.partner"].create({
            "name": "Lookup target BV", "peppol_eas": "0106", "peppol_endpoint": BUYER_PARTY.split(":")[1],
        })
        self.env.flush_all()
        _result, error = self.rpc("employee_of_b", "res.partner", "action_econnect_lookup", [customer.id])
        self.assertRefused(error, words="Alleen eConnect-gebruikers")
        self.assertFalse(self.requests_to("queryRecipientParty"), "eConnect was not asked")
        self.assertFalse(customer.econnect_lookup_state)


@tagged("post_install", "-at_install")
class TestSecretsLeaveOnlyForEconnect(JsonRpcMixin, EconnectReceiveMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang(NL)
        cls.env["ir.module.module"]._load_module_terms(["econnect_odoo"], [NL], overwrite=True)
        cls.admin = new_test_user(
            cls.env, login="econnect_admin_b", groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)], lang=NL,
        )
        cls.settings_admin = new_test_user(
            cls.env, login="settings_admin_b", groups="base.group_system,account.group_account_manager",
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)], lang=NL,
        )
        # a second connection, used by no active company
        cls.spare = cls.env["econnect.connection"].create({
            "name": "Spare", "environment": "custom",
            "api_url": cls.simulator.api_url, "identity_url": cls.simulator.identity_url,
            "client_id": "spare-client", "client_secret": CLIENT_SECRET, "username": "spare", "password": PASSWORD,
        })
        cls.env.flush_all()

    def setUp(self):
        super().setUp()
        self.listener = Listener()
        self.addCleanup(self.listener.stop)

    def test_moving_the_urls_to_a_listener_sends_no_secret(self):
        """An eConnect administrator moves the active connection's URLs to a listener and presses Test connection:
        the change is refused; a Settings administrator's change clears the keys, so none leaves either."""
        urls = {"api_url": self.listener.url, "identity_url": self.listener.url}
        _result, write_error = self.rpc("econnect_admin_b", "econnect.connection", "write", [self.connection.id], urls)
        self.rpc("econnect_admin_b", "econnect.connection", "action_test_connection", [self.connection.id])
        self.assertFalse(self.listener.got(CLIENT_SECRET) or self.listener.got(PASSWORD), "a key went to the listener")
        self.assertFalse(self.listener.bodies, "nothing went to the listener")
        self.assertRefused(write_error)
        # a Settings administrator, on a connection no active company uses: allowed, and the keys are cleared
        _result, error = self.rpc("settings_admin_b", "econnect.connection", "write", [self.spare.id], urls)
        self.assertFalse(error, error)
        _result, error = self.rpc("settings_admin_b", "econnect.connection", "action_test_connection", [self.spare.id])
        self.assertRefused(error, kind="odoo.exceptions.UserError")
        self.assertFalse(self.listener.got(CLIENT_SECRET) or self.listener.got(PASSWORD), "no key left Odoo")
        self.assertFalse(self.spare.client_secret_is_set or self.spare.password_is_set)

    def test_the_environment_cannot_move_under_active_companies(self):
        _result, error = self.rpc(
            "settings_admin_b", "econnect.connection", "write", [self.connection.id], {"environment": "acceptance"}
        )
        self.assertRefused(error, kind="odoo.exceptions.UserError", words="Deactiveer eConnect")
        self.assertEqual(self.connection.environment, "custom")
        self.assertTrue(self.connection.client_secret_is_set)

    def test_a_change_of_environment_clears_the_keys(self):
        """Production keys never go to the acceptance environment (nor the other way round): an eConnect
        administrator who switches a connection no active company uses must enter its keys again."""
        production = self.env["econnect.connection"].create({
            "name": "Production", "environment": "production", "client_id": "prod-client",
            "client_secret": "production-secret", "username": "prod", "password": "production-password",
        })
        self.env.flush_all()
        _result, error = self.rpc(
            "econnect_admin_b", "econnect.connection", "write", [production.id], {"environment": "acceptance"}
        )
        self.assertFalse(error, error)
        self.assertEqual(production.environment, "acceptance")
        self.assertFalse(production.client_secret_is_set or production.password_is_set)
        notes = production.message_ids.filtered(lambda m: "gewist" in (m.body or ""))
        self.assertTrue(notes, "the change is noted, in the user's language")
        _result, error = self.rpc("econnect_admin_b", "econnect.connection", "action_test_connection", [production.id])
        self.assertRefused(error, kind="odoo.exceptions.UserError")

    def test_an_official_environment_keeps_its_urls(self):
        spare = self.env["econnect.connection"].create({"name": "Acceptance", "environment": "acceptance"})
        self.env.flush_all()
        _result, error = self.rpc(
            "econnect_admin_b", "econnect.connection", "write", [spare.id], {"api_url": self.listener.url}
        )
        self.assertRefused(error, kind="odoo.exceptions.ValidationError")
        _result, error = self.rpc(
            "econnect_admin_b", "econnect.connection", "write", [spare.id], {"environment": "custom"}
        )
        self.assertRefused(error)

    def test_key_rotation_includes_archived_companies(self):
        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        current = crypto.configured_keys()  # the key of every other secret of the test database
        archived = self.env["res.company"].create({"name": "Archived BV"})
        with patch.dict(config.options, {crypto.CONFIG_OPTION: old}):
            archived.sudo().econnect_webhook_secret_encrypted = crypto.encrypt("archived-secret")
            archived_connection = self.env["econnect.connection"].create({
                "name": "Archived connection", "environment": "acceptance", "client_id": "x",
                "client_secret": "old-key",
            })
            archived_connection.active = False
            archived.active = False
        with patch.dict(config.options, {crypto.CONFIG_OPTION: f"{new},{old},{current}"}):
            self.env["econnect.connection"]._econnect_rotate_all_secrets()
        with patch.dict(config.options, {crypto.CONFIG_OPTION: new}):  # the old key is gone
            self.assertEqual(archived._econnect_webhook_secret(), "archived-secret")
            self.assertEqual(archived_connection._econnect_secret("client_secret"), "old-key")
