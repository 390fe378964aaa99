import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from ..psb.errors import NotFoundError, PSBError
from ..psb.party import InvalidPartyId, PartyId, propose_party_id
from ..tools.messages import party_reason, user_message
from ..tools.parallel import run_parallel

_logger = logging.getLogger(__name__)

# A receiver lookup older than this is refreshed before the next send.
LOOKUP_MAX_AGE = timedelta(days=7)
# Formats we send: Peppol BIS Billing 3.0 by default, the Dutch NLCIUS when the partner says so.
ECONNECT_FORMATS = ("ubl_bis3", "nlcius")



class ResPartner(models.Model):
    _inherit = "res.partner"

    # No ``ondelete`` here: the field is company-dependent (jsonb), which Odoo's generic clean-up cannot
    # query; our uninstall hook removes the value instead.
    invoice_sending_method = fields.Selection(selection_add=[("econnect", "by eConnect")])
    econnect_endpoint_proposal = fields.Char(
        string="Proposed Peppol id",
        compute="_compute_econnect_endpoint_proposal",
        help="A Peppol id derived from the KvK or enterprise number. It is only used once you confirm it.",
    )
    econnect_lookup_state = fields.Selection(
        selection=[("reachable", "Reachable on Peppol"), ("not_found", "Not found on Peppol")],
        string="Peppol lookup",
        copy=False,
        readonly=True,
        help="What eConnect answered when asked whether this customer can receive e-invoices.",
    )
    econnect_lookup_date = fields.Datetime(string="Peppol lookup on", copy=False, readonly=True)
    econnect_lookup_endpoint = fields.Char(
        string="Peppol lookup for",
        copy=False, readonly=True, help="The Peppol id the lookup was made for (a changed id needs a new lookup)."
    )
    econnect_lookup_party = fields.Char(string="Found as", copy=False, readonly=True)

    def write(self, vals):
        # A user's main e-mail lives on their contact: changed here (contact form, import), it obeys the rule of
        # the user form: it may not be another user's additional address (see res_users.py).
        if vals.get("email"):
            users = self.sudo().user_ids
            if users:
                users._econnect_check_main_email(vals["email"])
        if "email" in vals:
            # a confirmation of the old address (econnect.user.email, is_main) means nothing for the new one
            changed = self.sudo().filtered(
                lambda p: (p.email_normalized or False) != (email_normalize(vals["email"] or "") or False)
            )
            changed.user_ids._econnect_forget_main_email()
        return super().write(vals)

    @api.depends("peppol_endpoint", "country_code", "company_registry", "vat")
    def _compute_econnect_endpoint_proposal(self):
        for partner in self:
            proposal = False
            if not partner.peppol_endpoint:
                proposed = propose_party_id(partner.country_code, partner.company_registry, partner.vat)
                proposal = proposed and str(proposed)
            partner.econnect_endpoint_proposal = proposal

    # ------------------------------------------------------------------------------------------
    # Peppol identity of a customer
    # ------------------------------------------------------------------------------------------
    def _econnect_party(self):
        """The customer's Peppol id from its EAS and endpoint; raises InvalidPartyId when missing or invalid."""
        self.ensure_one()
        if not self.peppol_eas or not self.peppol_endpoint:
            raise InvalidPartyId("missing", "No Peppol e-address (EAS) and endpoint.")
        return PartyId.parse(f"{self.peppol_eas}:{self.peppol_endpoint}")

    def action_econnect_use_proposed_endpoint(self):
        """The user confirms the proposed Peppol id: write it in the partner's Peppol fields."""
        for partner in self:
            if not partner.econnect_endpoint_proposal:
                continue
            eas, endpoint = partner.econnect_endpoint_proposal.split(":", 1)
            partner.write({"peppol_eas": eas, "peppol_endpoint": endpoint})
        return True

    # ------------------------------------------------------------------------------------------
    # Receiver lookup (queryRecipientParty), cached on the partner
    # ------------------------------------------------------------------------------------------
    def _econnect_lookup_is_fresh(self):
        self.ensure_one()
        try:
            endpoint = str(self._econnect_party())
        except InvalidPartyId:
            return False
        return bool(
            self.econnect_lookup_date
            and self.econnect_lookup_endpoint == endpoint
            and self.econnect_lookup_date > fields.Datetime.now() - LOOKUP_MAX_AGE
        )

    def _econnect_lookup(self, company, force=False):
        """Ask eConnect whether each partner can receive, unless a fresh answer is cached.

        Partners without a valid Peppol id are skipped. Raises PSBError for anything but "not found".
        """
        # every lookup spends the company's credentials: whatever asks for it, the user must be one of its
        # eConnect users (the superuser of scheduled actions passes)
        self.env["res.company"]._econnect_check_access(company, "user")
        to_check = self if force else self.filtered(lambda p: not p._econnect_lookup_is_fresh())
        if not to_check:
            return
        client = company._econnect_client()
        sender = company._econnect_party()
        parties = {}
        for partner in to_check:
            try:
                parties[partner.id] = partner._econnect_party()
            except InvalidPartyId:
                continue
        now = fields.Datetime.now()
        jobs = [(partner_id, client, (sender, [party])) for partner_id, party in parties.items()]
        for partner_id, answer, error in run_parallel("query_recipient_party", jobs):
            values = {"econnect_lookup_date": now, "econnect_lookup_endpoint": str(parties[partner_id])}
            if isinstance(error, NotFoundError):
                values.update(econnect_lookup_state="not_found", econnect_lookup_party=False)
            elif error is not None:
                raise error
            else:
                found = (answer or {}).get("id") or str(parties[partner_id])
                values.update(econnect_lookup_state="reachable", econnect_lookup_party=found)
            self.browse(partner_id).sudo().write(values)

    def action_econnect_lookup(self):
        """Button on the partner form: ask eConnect now."""
        company = self.env.company
        self.env["res.company"]._econnect_check_access(company, "user")
        if company.econnect_state != "active":
            raise UserError(self.env._("Activate eConnect for %s first.", company.name))
        for partner in self:
            try:
                partner._econnect_party()
            except InvalidPartyId as error:
                raise UserError(
                    self.env._("Set a valid Peppol e-address and endpoint on %(partner)s first (%(error)s).",
                               partner=partner.display_name, error=party_reason(self.env, error))
                ) from error
        try:
            self._econnect_lookup(company, force=True)
        except PSBError as error:
            raise UserError(user_message(self.env, error)) from error
        return True
