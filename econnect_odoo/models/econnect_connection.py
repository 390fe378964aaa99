import logging
import threading
from urllib.parse import urlparse

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..psb import contract
from ..psb.client import PSBClient
from ..psb.errors import PSBError
from ..psb.party import PartyId
from ..tools import crypto, demo
from ..tools.messages import user_message

_logger = logging.getLogger(__name__)

# One PSB client per connection and per process: it keeps the HTTP connections and the token warm
# across calls (a batch of sends reuses them). The key changes whenever the connection is edited.
_clients = {}
# Seconds one call may spend retrying temporary failures (ir.config_parameter econnect_odoo.max_retry_seconds):
# short, because a user may be waiting; scheduled actions try again later anyway.
DEFAULT_RETRY_BUDGET = 10
# Seconds to connect, and to wait for an answer (ir.config_parameter econnect_odoo.timeout).
CONNECT_TIMEOUT = 5
DEFAULT_READ_TIMEOUT = 30
_clients_lock = threading.Lock()
# Where the keys go: changing one of these clears the stored secrets (they are entered again for the new place).
DESTINATION_FIELDS = ("environment", "api_url", "identity_url")


class EconnectConnection(models.Model):
    _name = "econnect.connection"
    _description = "eConnect connection"
    _inherit = ["econnect.secret.mixin", "mail.thread"]
    _order = "name, id"

    _econnect_secrets = {
        "client_secret": "client_secret_encrypted",
        "password": "password_encrypted",
        "subscription_key": "subscription_key_encrypted",
    }

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    environment = fields.Selection(
        selection=[
            ("demo", "Demo (the eConnect simulator of the development tools, no credentials)"),
            ("acceptance", "Acceptance (test)"),
            ("production", "Production"),
            ("custom", "Custom URLs"),
        ],
        required=True,
        default="demo",
        tracking=True,
        help="Acceptance and production need separate credentials. Nothing sent in acceptance or demo "
        "reaches the real Peppol network.",
    )
    api_url = fields.Char(string="API URL", compute="_compute_urls", store=True, readonly=False, tracking=True)
    identity_url = fields.Char(
        string="Identity URL", compute="_compute_urls", store=True, readonly=False, tracking=True
    )
    client_id = fields.Char(string="Client ID", tracking=True, groups="econnect_odoo.group_econnect_admin")
    username = fields.Char(
        string="User name",
        tracking=True,
        groups="econnect_odoo.group_econnect_admin",
        help="The PSB user of this customer. Leave empty to connect with the client credentials only.",
    )
    # write-only secrets (see econnect.secret.mixin)
    client_secret = fields.Char(
        compute="_compute_econnect_secrets", inverse="_inverse_econnect_secrets",
        groups="econnect_odoo.group_econnect_admin", exportable=False, copy=False,
    )
    password = fields.Char(
        compute="_compute_econnect_secrets", inverse="_inverse_econnect_secrets",
        groups="econnect_odoo.group_econnect_admin", exportable=False, copy=False,
    )
    subscription_key = fields.Char(
        compute="_compute_econnect_secrets", inverse="_inverse_econnect_secrets",
        groups="econnect_odoo.group_econnect_admin", exportable=False, copy=False,
        help="Optional legacy Subscription-Key header. Leave empty unless eConnect gave you one.",
    )
    client_secret_is_set = fields.Boolean(compute="_compute_econnect_secrets")
    password_is_set = fields.Boolean(compute="_compute_econnect_secrets")
    subscription_key_is_set = fields.Boolean(compute="_compute_econnect_secrets")
    client_secret_encrypted = fields.Char(groups="econnect_odoo.group_econnect_admin", exportable=False, copy=False)
    password_encrypted = fields.Char(groups="econnect_odoo.group_econnect_admin", exportable=False, copy=False)
    subscription_key_encrypted = fields.Char(
        groups="econnect_odoo.group_econnect_admin", exportable=False, copy=False
    )

    company_ids = fields.One2many(
        "res.company", "econnect_connection_id", string="Companies",
        help="The Odoo companies (eConnect organizations) that use these credentials, each with its own party id.",
    )
    party_info = fields.Json(
        string="Parties", readonly=True, copy=False,
        help="The parties these credentials may use, as eConnect answered at the last test.",
    )
    party_summary = fields.Html(compute="_compute_party_summary", sanitize=True)
    last_test_date = fields.Datetime(readonly=True, copy=False)

    # ------------------------------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------------------------------
    @api.depends("environment")
    def _compute_urls(self):
        for connection in self:
            if connection.environment in contract.HOSTS:
                hosts = contract.HOSTS[connection.environment]
                connection.api_url = hosts["api"]
                connection.identity_url = hosts["identity"]
            elif connection.environment == "demo":
                connection.api_url = connection.identity_url = False

    @api.constrains("environment", "api_url", "identity_url")
    def _check_urls(self):
        for connection in self.filtered(lambda c: c.environment in contract.HOSTS):
            hosts = contract.HOSTS[connection.environment]
            if (connection.api_url, connection.identity_url) != (hosts["api"], hosts["identity"]):
                raise ValidationError(self.env._(
                    "The %s environment has eConnect's own URLs: choose Custom URLs to use others.",
                    dict(self._fields["environment"]._description_selection(self.env))[connection.environment],
                ))
        for connection in self.filtered(lambda c: c.environment == "custom"):
            if not connection.api_url or not connection.identity_url:
                raise ValidationError(self.env._("A custom eConnect connection needs both URLs."))
            for url in (connection.api_url, connection.identity_url):
                parsed = urlparse(url or "")
                if parsed.scheme not in ("http", "https") or not parsed.hostname:
                    raise ValidationError(self.env._("%s is not a valid URL.", url))
                if parsed.scheme != "https" and parsed.hostname not in contract.LOOPBACK_HOSTS:
                    raise ValidationError(
                        self.env._(
                            "eConnect must be reached over HTTPS: %s is not (plain HTTP is allowed only on "
                            "this machine, for tests).",
                            url,
                        )
                    )

    @api.depends("party_info")
    def _compute_party_summary(self):
        labels = {
            "canSendDocument": self.env._("send"),
            "canReceiveDocument": self.env._("receive"),
            "canRemoveDocument": self.env._("remove documents"),
            "canManageHook": self.env._("manage webhooks"),
            "canChangeDocumentStatus": self.env._("change document status"),
        }
        for connection in self:
            if not connection.party_info:
                connection.party_summary = False
                continue
            rows = []
            for party in connection.party_info:
                allowed = [label for key, label in labels.items() if (party.get("permissions") or {}).get(key)]
                rows.append(
                    "<li><b>{}</b> {}: {}</li>".format(
                        party.get("id", ""), party.get("name", ""), ", ".join(allowed) or self.env._("no permission")
                    )
                )
            connection.party_summary = "<ul>{}</ul>".format("".join(rows))

    # ------------------------------------------------------------------------------------------
    # Where the keys go (secrets leave only for eConnect)
    # ------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("environment") == "custom" for vals in vals_list):
            self._econnect_check_custom_urls_allowed()
        return super().create(vals_list)

    def write(self, vals):
        # A connection's keys act for every company that uses it: only an eConnect administrator working in all of
        # them changes it (the record rule lets one who works in any of them in).
        self.env["res.company"]._econnect_check_access(self, "admin")
        moving = self._econnect_moving(vals)
        if not moving:
            return super().write(vals)
        # (the other environments have eConnect's own URLs: see _check_urls)
        if any((vals.get("environment") or c.environment) == "custom" for c in moving):
            self._econnect_check_custom_urls_allowed()
        active = moving.sudo().with_context(active_test=False).company_ids.filtered(
            lambda c: c.econnect_state == "active"
        )
        if active:
            raise UserError(self.env._(
                "Deactivate eConnect for %s before changing the environment or the URLs of its connection: its "
                "webhooks are registered where the connection points now.",
                ", ".join(active.mapped("name")),
            ))
        # The stored keys were given for the old place: they never go to the new one. Keys entered in the same
        # change are for the new place and are kept.
        cleared = {stored: False for field, stored in self._econnect_secrets.items() if not vals.get(field)}
        result = super(EconnectConnection, moving).write({**vals, **cleared})
        if self - moving:
            super(EconnectConnection, self - moving).write(vals)
        for connection in moving.filtered(lambda c: cleared and c.environment != "demo"):
            connection._message_log(body=self.env._(
                "The environment or a URL changed: the stored client secret, password and subscription key were "
                "cleared. Enter the keys for the new environment."
            ))
        return result

    def _econnect_moving(self, vals):
        """The connections of ``self`` whose environment or URLs ``vals`` changes."""
        if not any(name in vals for name in DESTINATION_FIELDS):
            return self.browse()
        return self.filtered(lambda c: any(
            name in vals and (vals[name] or False) != (c.sudo()[name] or False) for name in DESTINATION_FIELDS
        ))

    def _econnect_check_custom_urls_allowed(self):
        """Custom URLs decide where the keys are sent: only Settings administrators choose them."""
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._(
                "Only Settings administrators may choose custom eConnect URLs: the connection's keys are sent there."
            ))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_active_companies(self):
        self.env["res.company"]._econnect_check_access(self, "admin")
        active = self.sudo().company_ids.filtered(lambda c: c.econnect_state == "active")
        if active:
            raise UserError(
                self.env._(
                    "Deactivate eConnect for %s before deleting its connection.", ", ".join(active.mapped("name"))
                )
            )

    # ------------------------------------------------------------------------------------------
    # The PSB client
    # ------------------------------------------------------------------------------------------
    def _psb_urls(self):
        self.ensure_one()
        if self.environment == "demo":
            url = demo.demo_url()
            if not url:
                raise UserError(self.env._(
                    "The demo environment needs the eConnect simulator of the development tools: start it with "
                    "bin/psb-simulator --demo (or python3 tools/run_demo.py) and give its URL as econnect_demo_url "
                    "in the Odoo configuration file or the ECONNECT_DEMO_URL environment variable."
                ))
            return url, url
        return self.api_url, self.identity_url

    def _psb_client(self):
        """The PSB client of this connection (cached per process, rebuilt after any change)."""
        self.ensure_one()
        connection = self.sudo()
        api_url, identity_url = connection._psb_urls()
        params = self.env["ir.config_parameter"].sudo()
        retry_budget = float(params.get_param("econnect_odoo.max_retry_seconds", DEFAULT_RETRY_BUDGET))
        read_timeout = float(params.get_param("econnect_odoo.timeout", DEFAULT_READ_TIMEOUT))
        # Any change of URL or credential gives a new key (encrypted secrets change on every write).
        key = (
            self.env.cr.dbname, connection.id, api_url, identity_url, retry_budget, read_timeout,
            connection.environment,
            connection.client_id, connection.username, connection.client_secret_encrypted,
            connection.password_encrypted, connection.subscription_key_encrypted,
        )
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                for stale in [k for k in _clients if k[:2] == key[:2]]:
                    _clients.pop(stale).close()
                if connection.environment == "demo":
                    credentials = demo.DEMO_CREDENTIALS
                else:
                    credentials = {
                        "client_id": connection.client_id,
                        "client_secret": connection._econnect_secret("client_secret"),
                        "username": connection.username or None,
                        "password": connection._econnect_secret("password") or None,
                        "subscription_key": connection._econnect_secret("subscription_key") or None,
                    }
                try:
                    client = PSBClient(
                        api_url=api_url, identity_url=identity_url, max_retry_seconds=retry_budget,
                        timeout=(CONNECT_TIMEOUT, read_timeout), **credentials
                    )
                except PSBError as error:
                    self._raise_user_error(error)
                _clients[key] = client
        return client

    def _raise_user_error(self, error):
        """Raise a UserError in the user's language for a PSB error."""
        raise UserError(user_message(self.env, error)) from error

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_test_connection(self):
        """Get a token and the parties these credentials may use; show them. Changes nothing on failure."""
        self.ensure_one()
        self.env["res.company"]._econnect_check_access(self, "admin")
        self._check_configured()
        try:
            parties = self._psb_client().get_my_parties()
        except PSBError as error:
            _logger.info("eConnect connection %s: test failed (%s)", self.id, error.kind)
            self._raise_user_error(error)
        self.sudo().write({"party_info": parties, "last_test_date": fields.Datetime.now()})
        if not parties:
            message = self.env._("The credentials work, but eConnect lists no party id for them.")
            kind = "warning"
        else:
            message = self.env._(
                "Connected to eConnect. These credentials may act for: %s",
                ", ".join(p.get("id", "?") for p in parties),
            )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("eConnect connection test"),
                "message": message,
                "type": kind,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _check_configured(self):
        for connection in self:
            if connection.environment == "demo":
                connection._psb_urls()  # says how to start the demo simulator when none is configured
                continue
            connection = connection.sudo()
            missing = []
            if not connection.client_id:
                missing.append(self.env._("Client ID"))
            if not connection.client_secret_encrypted:
                missing.append(self.env._("Client secret"))
            if connection.username and not connection.password_encrypted:
                missing.append(self.env._("Password"))
            if missing:
                raise UserError(
                    self.env._(
                        "The eConnect connection %(name)s lacks: %(missing)s.",
                        name=connection.name, missing=", ".join(missing),
                    )
                )

    def _get_party(self, party_id):
        """eConnect's description of ``party_id`` among the parties of these credentials (live)."""
        self.ensure_one()
        wanted = PartyId.parse(party_id, validate=False)
        try:
            parties = self._psb_client().get_my_parties()
        except PSBError as error:
            self._raise_user_error(error)
        self.sudo().write({"party_info": parties, "last_test_date": fields.Datetime.now()})
        for party in parties:
            try:
                if PartyId.parse(party.get("id", ""), validate=False) == wanted:
                    return party
            except ValueError:
                continue
        return None

    @api.model
    def _econnect_rotate_all_secrets(self):
        """Re-encrypt every eConnect secret of the database (connections and webhook secrets)."""
        count = self._econnect_rotate_secrets()
        # archived companies too: their secret would be lost with the old key (and they may be unarchived)
        companies = self.env["res.company"].sudo().with_context(active_test=False)
        for company in companies.search([("econnect_webhook_secret_encrypted", "!=", False)]):
            company.econnect_webhook_secret_encrypted = crypto.rotate(company.econnect_webhook_secret_encrypted)
            count += 1
        return count
