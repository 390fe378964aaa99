import contextlib
import logging
import secrets
from urllib.parse import urlsplit

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..psb import contract
from ..psb.errors import NotFoundError, PSBError
from ..psb.party import InvalidPartyId, PartyId, propose_party_id
from ..psb.webhook import is_loopback_host, webhook_address_problem
from ..tools import crypto, demo
from ..tools.messages import party_reason, user_message
from ..tools.queue import commit

_logger = logging.getLogger(__name__)

WEBHOOK_ROUTE = "/econnect/webhook/"
# The switches a user's save sends to eConnect (see _econnect_save_switches).
SWITCHES = ("econnect_receive", "econnect_respond")



class ResCompany(models.Model):
    _inherit = "res.company"

    econnect_connection_id = fields.Many2one(
        "econnect.connection",
        string="eConnect connection",
        ondelete="set null",
        groups="econnect_odoo.group_econnect_admin",
    )
    econnect_environment = fields.Selection(related="econnect_connection_id.environment", string="eConnect environment")
    econnect_party_id = fields.Char(
        string="eConnect party id",
        compute="_compute_econnect_party_id",
        store=True,
        readonly=False,
        copy=False,
        help="This company's Peppol participant id at eConnect, e.g. 0106:12345678 (KvK number) or "
        "0208:0123456789 (Belgian enterprise number). Proposed from the company's registry or VAT number.",
    )
    econnect_state = fields.Selection(
        selection=[("not_connected", "Not connected"), ("active", "Active"), ("error", "Error")],
        string="eConnect status",
        default="not_connected",
        required=True,
        readonly=True,
        copy=False,
    )
    econnect_state_message = fields.Char(string="eConnect status message", readonly=True, copy=False)
    econnect_webhook_token = fields.Char(
        string="eConnect webhook token",
        copy=False, readonly=True, index="btree_not_null", groups="econnect_odoo.group_econnect_admin"
    )
    econnect_webhook_secret_encrypted = fields.Char(
        string="eConnect webhook secret (encrypted)",
        copy=False, readonly=True, exportable=False, prefetch=False, groups="econnect_odoo.group_econnect_admin"
    )
    econnect_hook_id = fields.Char(
        string="eConnect hook id", copy=False, readonly=True, groups="econnect_odoo.group_econnect_admin",
        help="The id of this company's webhook at eConnect, chosen by Odoo once and stored before the first "
        "registration: every later registration (topics, secret) updates the same hook.",
    )
    econnect_hook_database = fields.Char(
        string="eConnect hook database", copy=False, readonly=True, groups="econnect_odoo.group_econnect_admin",
        help="The database (its database.uuid) the hook id was made for: a copy of the database makes its own "
        "hook instead of taking over the original's.",
    )
    econnect_webhook_url = fields.Char(
        string="eConnect webhook URL",
        compute="_compute_econnect_webhook_url",
        groups="econnect_odoo.group_econnect_admin",
        help="Where eConnect posts its events (delivery results, incoming invoices) for this company.",
    )
    econnect_webhook_address = fields.Char(
        string="eConnect calls",
        compute="_compute_econnect_webhook_address",
        groups="econnect_odoo.group_econnect_admin",
        help="The address eConnect posts this company's events to: Odoo's web.base.url followed by /econnect/webhook/ "
        "and a secret token chosen at activation. It must be https on a host reachable from the internet.",
    )
    econnect_webhook_problem = fields.Char(
        string="eConnect cannot call Odoo",
        compute="_compute_econnect_webhook_address",
        groups="econnect_odoo.group_econnect_admin",
    )
    econnect_receive = fields.Boolean(
        string="Receive e-invoices through eConnect",
        copy=False,
        help="Receiving costs money per received invoice at eConnect. When on, incoming e-invoices become "
        "vendor bills in the receiving journal.",
    )
    econnect_receive_decided = fields.Boolean(
        string="eConnect receiving decided",
        copy=False, help="Whether an administrator decided about receiving (the first-login prompt stops asking)."
    )
    econnect_receive_journal_id = fields.Many2one(
        "account.journal",
        string="eConnect receiving journal",
        domain="[('type', '=', 'purchase'), ('company_id', '=', id)]",
        check_company=True,
        help="Incoming e-invoices become vendor bills in this purchase journal.",
    )
    econnect_delete_after_download = fields.Boolean(
        string="Delete received documents at eConnect",
        help="Once a received invoice is safely stored in Odoo, delete it at eConnect (otherwise eConnect keeps "
        "it 7 days after download).",
    )

    # ------------------------------------------------------------------------------------------
    # Computes, constraints, normalisation
    # ------------------------------------------------------------------------------------------
    @api.depends("country_id", "company_registry", "vat")
    def _compute_econnect_party_id(self):
        for company in self:
            if not company.econnect_party_id:
                proposed = propose_party_id(company.country_id.code, company.company_registry, company.vat)
                company.econnect_party_id = proposed and str(proposed)

    @api.depends("econnect_webhook_token")
    def _compute_econnect_webhook_url(self):
        for company in self:
            token = company.sudo().econnect_webhook_token
            company.econnect_webhook_url = token and f"{company.get_base_url()}{WEBHOOK_ROUTE}{token}"

    @api.depends("econnect_webhook_token", "econnect_connection_id.environment", "econnect_connection_id.api_url")
    def _compute_econnect_webhook_address(self):
        for company in self:
            base = company.get_base_url()
            company.econnect_webhook_address = f"{base}{WEBHOOK_ROUTE}…" if base else False
            company.econnect_webhook_problem = company._econnect_webhook_address_problem()

    def _econnect_webhook_address_problem(self):
        """Why eConnect could not post events to this Odoo (a sentence saying how to fix it), or False.

        Hooks take https addresses that eConnect reaches from the internet. The demo environment is not checked
        (its simulator runs next to Odoo), nor is a loopback address while the eConnect of the connection is itself
        on this machine (a simulator in tests)."""
        self.ensure_one()
        connection = self.sudo().econnect_connection_id
        if not connection or connection.environment == "demo":
            return False
        base = self.get_base_url()
        loopback_allowed = connection.environment == "custom" and is_loopback_host(
            urlsplit(connection.api_url or "").hostname
        )
        reason = webhook_address_problem(base, loopback_allowed=loopback_allowed)
        if not reason:
            return False
        how = self.env._(
            "Set the system parameter web.base.url (Settings > Technical > System Parameters, in developer mode) to "
            "the public https address of this Odoo, e.g. https://odoo.example.com, and web.base.url.freeze to True "
            "so that a login through another address does not change it; then activate again."
        )
        if reason == "not_https":
            text = self.env._("eConnect would post its events to %(url)s, which is not https.", url=base)
        elif reason == "not_public":
            text = self.env._(
                "eConnect would post its events to %(url)s, which cannot be reached from the internet.", url=base
            )
        else:
            text = self.env._("Odoo's address (web.base.url) %(url)s is not a web address.", url=base or "-")
        return f"{text} {how}"

    @api.constrains("econnect_party_id")
    def _check_econnect_party_id(self):
        for company in self.filtered("econnect_party_id"):
            try:
                PartyId.parse(company.econnect_party_id)
            except InvalidPartyId as error:
                raise ValidationError(
                    self.env._(
                        "The eConnect party id %(party)s of %(company)s is not valid: %(reason)s",
                        party=company.econnect_party_id, company=company.name, reason=party_reason(self.env, error),
                    )
                ) from error

    @api.model
    def _econnect_normalize_vals(self, vals):
        if vals.get("econnect_party_id"):
            with contextlib.suppress(InvalidPartyId):  # when invalid, the constraint explains what is wrong
                vals["econnect_party_id"] = str(PartyId.parse(vals["econnect_party_id"]))
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._econnect_normalize_vals(vals) for vals in vals_list])

    def write(self, vals):
        if not self.env.su and any(name.startswith("econnect_") for name in vals):
            # A company's eConnect is decided by its own eConnect administrators, whoever else may edit companies
            # (Access Rights administrators edit every company): checked before anything (res_company_access.py).
            self._econnect_check_access(self, "admin")
        vals = self._econnect_normalize_vals(dict(vals))
        if "econnect_party_id" in vals and any(
            c.econnect_state == "active" and c.econnect_party_id != vals["econnect_party_id"] for c in self
        ):
            raise UserError(self.env._("Deactivate eConnect before changing the company's party id."))
        if vals.get("econnect_connection_id"):
            self._econnect_check_connection_reachable(vals["econnect_connection_id"])
        if "econnect_receive" in vals:
            vals["econnect_receive_decided"] = True
        # Nothing here calls eConnect: the switches reach it through the user's save (Settings, the company form:
        # _econnect_save_switches), the first-login prompt and the buttons (_econnect_decide_receiving).
        return super().write(vals)

    def web_save(self, vals, specification, next_id=None):
        """The company form's Save: the eConnect switches are a user's decision, made at eConnect first."""
        switches = {name: vals.pop(name) for name in SWITCHES if name in vals}
        result = super().web_save(vals, specification, next_id=next_id)
        if switches:
            for company in self:
                company._econnect_save_switches(**{
                    name.removeprefix("econnect_"): switches.get(name, company.sudo()[name]) for name in SWITCHES
                })
            result = self.web_read(specification)
        return result

    def _econnect_check_connection_reachable(self, connection_id):
        """A company may only use a connection its administrator can see in their own companies: connection keys
        of a company the user does not work in are not theirs to borrow."""
        try:
            self.env["res.company"]._econnect_check_access(self.env["econnect.connection"].browse(connection_id), None)
        except AccessError:
            raise AccessError(
                self.env._("You may only choose an eConnect connection of a company you work in.")
            ) from None

    @api.model
    def _econnect_switch_receiving(self, choices):
        """Switch receiving at eConnect for each ``(company, enabled, journal)`` whose switch changes, all or
        nothing: when eConnect refuses one, those switched before are switched back and the refusal is raised
        (Odoo forgets the whole change, so eConnect must too)."""
        switched = []
        try:
            for company, enabled, journal in choices:
                if company.sudo().econnect_receive != enabled:
                    company._econnect_apply_receive(enabled, journal)
                    switched.append(company)
        except Exception:
            for company in switched:
                try:
                    # back to the switch Odoo still shows (it writes the change only once all are through)
                    company._econnect_apply_receive(
                        company.sudo().econnect_receive, company.sudo().econnect_receive_journal_id
                    )
                except Exception as error:  # keep the first failure as the one the user reads
                    _logger.warning(
                        "eConnect: could not switch receiving back for company %s (%s): check it in Settings",
                        company.id, getattr(error, "kind", type(error).__name__),
                    )
            raise

    # ------------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------------
    def _econnect_party(self):
        self.ensure_one()
        if not self.econnect_party_id:
            raise UserError(self.env._("Set the eConnect party id of %s first.", self.name))
        return PartyId.parse(self.econnect_party_id)

    def _econnect_client(self):
        """The PSB client of this company's connection."""
        self.ensure_one()
        connection = self.sudo().econnect_connection_id
        if not connection:
            raise UserError(self.env._("Choose the eConnect connection of %s first.", self.name))
        return connection._psb_client()

    def _econnect_is_demo(self):
        self.ensure_one()
        return self.sudo().econnect_connection_id.environment == "demo"

    def _econnect_webhook_secret(self):
        self.ensure_one()
        return crypto.decrypt(self.sudo().econnect_webhook_secret_encrypted)

    def _econnect_administrators(self, fallback=False):
        """The eConnect administrators of this company: active, internal, real users allowed in it. With
        ``fallback``, when it has none, Odoo's administrator (``base.user_admin``, when active): somebody is told."""
        self.ensure_one()
        users = self.env.ref("econnect_odoo.group_econnect_admin").sudo().users.filtered(
            lambda u: u.active and not u.share and u.id != SUPERUSER_ID and self in u.company_ids
        )
        if not users and fallback:
            admin = self.env.ref("base.user_admin", raise_if_not_found=False)
            users = admin.sudo() if admin and admin.active else users
        return users

    def _econnect_check_admin(self):
        """Shorthand: an eConnect administrator working in each of these companies (res_company_access.py)."""
        self.env["res.company"]._econnect_check_access(self, "admin")

    def _econnect_hook_values(self, receive, secret=None):
        """The company's hook as eConnect takes it: the id chosen by us (see ``_econnect_ensure_hook_id``)."""
        self.ensure_one()
        company = self.sudo()
        secret = secret or company._econnect_webhook_secret()
        return {
            "id": company.econnect_hook_id,
            "name": f"Odoo {self.env.cr.dbname} - {company.name}"[:100],
            "action": f"{company.econnect_webhook_url}#{secret}",
            "topics": contract.hook_topics(receive),
            "isActive": True,
        }

    def _econnect_ensure_hook_id(self):
        """Choose this company's hook id once (``uuid4().hex``) and store it before the first PUT.

        The same id is sent on every PUT (eConnect's PUT is add-or-update by id): activating again, changing
        topics or the secret, and retrying after a lost answer all update one hook, never make a second one. It
        is committed before the call where Odoo may commit (never in tests), so that even a failure after
        eConnect stored the hook leaves Odoo knowing its id. A copy of the database (another ``database.uuid``)
        chooses its own id: it must not take over the original's hook.
        """
        self.ensure_one()
        company = self.sudo()
        database = self.env["ir.config_parameter"].sudo().get_param("database.uuid") or ""
        if (
            contract.is_valid_hook_id(company.econnect_hook_id)
            and (company.econnect_hook_database or database) == database
            and company.econnect_webhook_token
        ):
            if not company.econnect_hook_database:
                company.econnect_hook_database = database
            return company.econnect_hook_id
        company.write({
            "econnect_hook_id": contract.new_hook_id(),
            "econnect_hook_database": database,
            "econnect_webhook_token": secrets.token_urlsafe(32),
        })
        commit(self.env)
        return company.econnect_hook_id

    def _econnect_put_hook(self, client, party, values):
        """PUT the company's hook; should eConnect answer with another id than ours, its id is kept from now on."""
        self.ensure_one()
        answer = client.put_hook(party, values)
        kept = contract.hook_id_after_put(values["id"], answer)
        if kept != values["id"]:
            _logger.info("eConnect answered hook id %s for the id %s Odoo sent: keeping eConnect's", kept, values["id"])
            self.sudo().econnect_hook_id = kept
        return answer

    def _econnect_connection_note(self, body):
        """A note in the chatter of this company's connection, marked as demo in the demo environment."""
        self.ensure_one()
        connection = self.sudo().econnect_connection_id
        if not connection:
            return
        if connection.environment == "demo":
            body = self.env._("[Demo] %s", body)
        connection.with_context(mail_notrack=True)._message_log(body=Markup("<p>%s</p>") % body)

    def _raise_psb_error(self, error):
        raise UserError(user_message(self.env, error)) from error

    # ------------------------------------------------------------------------------------------
    # Activation
    # ------------------------------------------------------------------------------------------
    def action_econnect_activate(self):
        """Check the party may send, register this company's signed webhook, and mark it active."""
        self._econnect_check_admin()
        for company in self:
            company._econnect_activate()
        return True

    def _econnect_activate(self):
        self.ensure_one()
        connection = self.sudo().econnect_connection_id
        if not connection:
            raise UserError(self.env._("Choose the eConnect connection of %s first.", self.name))
        connection._check_configured()
        problem = self._econnect_webhook_address_problem()
        if problem:
            raise UserError(problem)
        party = self._econnect_party()
        if connection.environment == "demo":
            demo.ensure_demo_party(str(party), self.name)
        info = connection._get_party(party)
        if info is None:
            known = ", ".join(p.get("id", "?") for p in connection.sudo().party_info or []) or self.env._("none")
            raise UserError(
                self.env._(
                    "The credentials of %(connection)s may not act for %(party)s. Parties they may use: %(known)s.",
                    connection=connection.name, party=party, known=known,
                )
            )
        if not (info.get("permissions") or {}).get("canSendDocument"):
            raise UserError(
                self.env._("eConnect does not allow %(party)s to send documents (canSendDocument).", party=party)
            )
        company = self.sudo()
        self._econnect_ensure_hook_id()
        secret = secrets.token_urlsafe(32)
        client = self._econnect_client()
        try:
            self._econnect_put_hook(client, party, self._econnect_hook_values(company.econnect_receive, secret=secret))
        except PSBError as error:
            self._raise_psb_error(error)
        own = company.partner_id
        if not own.peppol_eas or not own.peppol_endpoint:
            # The administrator just confirmed the party id: it is the company's Peppol e-address on invoices.
            own.write({"peppol_eas": party.scheme, "peppol_endpoint": party.value})
        company.write({
            "econnect_webhook_secret_encrypted": crypto.encrypt(secret),
            "econnect_state": "active",
            "econnect_state_message": False,
        })
        self._econnect_connection_note(
            self.env._("eConnect activated for %(company)s (party id %(party)s).", company=self.name, party=party)
        )
        _logger.info("eConnect activated for company %s (party %s)", self.id, party)

    def action_econnect_deactivate(self):
        """Remove the webhook at eConnect; keep every invoice, event and setting."""
        self._econnect_check_admin()
        for company in self:
            sudo_company = company.sudo()
            if sudo_company.econnect_state != "not_connected" and sudo_company.econnect_hook_id \
                    and sudo_company.econnect_connection_id:
                try:
                    company._econnect_client().delete_hook(company._econnect_party(), sudo_company.econnect_hook_id)
                except NotFoundError:
                    _logger.info("eConnect hook of company %s was already gone", company.id)
                except PSBError as error:
                    company._raise_psb_error(error)
            if sudo_company.econnect_state != "not_connected":
                company._econnect_connection_note(self.env._("eConnect deactivated for %s.", company.name))
            sudo_company.write({  # the hook id stays: activating again updates the same hook
                "econnect_webhook_secret_encrypted": False,
                "econnect_state": "not_connected",
                "econnect_state_message": False,
            })
        return True

    # ------------------------------------------------------------------------------------------
    # Receiving (one code path for the settings, the company form and the first-login prompt)
    # ------------------------------------------------------------------------------------------
    @api.onchange("econnect_receive")
    def _onchange_econnect_receive(self):
        if self.econnect_receive and not self._origin.econnect_receive:
            return {"warning": {"title": self.env._("Receiving costs money"), "message": self._econnect_cost_note()}}
        return None

    def _econnect_cost_note(self):
        return self.env._(
            "eConnect charges for every e-invoice received (from EUR 0.341 per received XML invoice). "
            "Turn receiving on only if this company wants its vendors' e-invoices in Odoo."
        )

    def _econnect_apply_receive(self, enabled, journal=None):
        """Switch receiving at eConnect, then (by the caller's write) in Odoo. Raises when eConnect refuses."""
        self.ensure_one()
        self._econnect_check_admin()
        if enabled:
            if self.econnect_state != "active":
                raise UserError(self.env._("Activate eConnect for %s before turning receiving on.", self.name))
            journal = (journal or self.econnect_receive_journal_id).sudo()
            if not journal or journal.type != "purchase":
                raise UserError(
                    self.env._("Choose the purchase journal that receives e-invoices for %s first.", self.name)
                )
        if self.econnect_state != "active":
            return  # nothing registered at eConnect: switching off is local only
        client = self._econnect_client()
        party = self._econnect_party()
        try:
            client.set_receiving(party, enabled)
        except PSBError as error:
            if contract.participant_write_refused(error.status, error.code):
                raise UserError(self._econnect_receiving_refused_message(enabled, error)) from error
            self._raise_psb_error(error)
        if enabled and self.econnect_respond:
            # invoice responses come with receiving (res_company_response.py): refused, receiving goes back off
            self._econnect_switch_response_capability(undo_receiving=True)
        if self.sudo().econnect_hook_id:
            try:
                self._econnect_put_hook(client, party, self._econnect_hook_values(enabled))
            except PSBError as error:
                # The switch stays as it was in Odoo: put it back at eConnect too (receiving is paid per document).
                try:
                    client.set_receiving(party, not enabled)
                except PSBError as undo_error:
                    _logger.warning(
                        "eConnect receiving of company %s could not be switched back (%s)", self.id, undo_error.kind
                    )
                self._raise_psb_error(error)
        self._econnect_connection_note(
            self.env._("%s now receives e-invoices through eConnect.", self.name) if enabled
            else self.env._("%s no longer receives e-invoices through eConnect.", self.name)
        )
        _logger.info("eConnect receiving %s for company %s", "on" if enabled else "off", self.id)

    def _econnect_receiving_refused_message(self, enabled, error):
        """eConnect may not let these credentials write the participant configuration (unconfirmed): then the
        administrator switches receiving on eConnect's platform, and Odoo's switch stays as it was until then."""
        said = "; ".join(str(part) for part in (getattr(error, "message", None), error.code) if part) or "-"
        if enabled:
            return self.env._(
                "eConnect does not let these connection keys switch receiving on for %(company)s (eConnect said: "
                "%(said)s). Switch receiving on for this organisation on eConnect's platform, then turn it on here "
                "again: Odoo then finds it on at eConnect and only adds the incoming invoices to its webhook. "
                "Until then receiving stays off here.",
                company=self.name, said=said,
            )
        return self.env._(
            "eConnect does not let these connection keys switch receiving off for %(company)s (eConnect said: "
            "%(said)s). Switch receiving off for this organisation on eConnect's platform (eConnect charges per "
            "received invoice), then turn it off here again. Until then receiving stays on here.",
            company=self.name, said=said,
        )

    def _econnect_save_switches(self, receive, respond):
        """A user saves the eConnect switches of this company (Settings, the company form): eConnect first, all or
        nothing, then Odoo. Receiving switched on brings invoice responses along when they are on."""
        self.ensure_one()
        self._econnect_check_access(self, "admin")
        company = self.sudo()
        if bool(receive) != company.econnect_receive:
            if bool(respond) != company.econnect_respond:
                company.econnect_respond = bool(respond)  # read by the switch: responses come along, or not
            self._econnect_decide_receiving([(self, receive, None)])
            return
        if respond and not company.econnect_respond and company.econnect_state == "active":
            company._econnect_switch_response_capability()
        if bool(respond) != company.econnect_respond:
            company.econnect_respond = bool(respond)

    def econnect_set_receive(self, enabled, journal=None):
        """Public entry point (buttons): switch receiving and record the decision."""
        return self._econnect_decide_receiving([(company, enabled, journal) for company in self])

    @api.model
    def _econnect_decide_receiving(self, choices):
        """Decide receiving for ``[(company, enabled, journal or None)]`` at once (the prompt, the buttons), all or
        nothing. eConnect administrators may decide this (and choose the receiving journal) without the right to
        edit companies in general."""
        self._econnect_check_access(self.browse([company.id for company, _enabled, _journal in choices]), "admin")
        journals = self.env["account.journal"].sudo()
        decisions = []
        for company, enabled, journal in choices:
            company = company.sudo()
            vals = {"econnect_receive": bool(enabled), "econnect_receive_decided": True}
            journal = journals.browse(journal.id if journal else [])
            if journal and journal != company.econnect_receive_journal_id:
                if journal.type != "purchase" or journal.company_id != company:
                    raise UserError(
                        self.env._("Choose a purchase journal of %s to receive its e-invoices.", company.name)
                    )
                vals["econnect_receive_journal_id"] = journal.id
            decisions.append((company, vals))
        self._econnect_switch_receiving([
            (company, vals["econnect_receive"], journals.browse(
                vals.get("econnect_receive_journal_id", company.econnect_receive_journal_id.id)
            ))
            for company, vals in decisions
        ])
        for company, vals in decisions:
            company.write(vals)
        return True
