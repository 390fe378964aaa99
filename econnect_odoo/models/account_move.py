import logging
import uuid
from collections import namedtuple
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import formataddr

from ..psb import contract
from ..psb.errors import AlreadySentError, PSBError
from ..psb.party import InvalidPartyId
from ..psb.retry import BETWEEN_RUNS
from ..tools.messages import party_reason, user_message
from ..tools.parallel import run_parallel
from ..tools.queue import claim, commit, lease_until, work_through
from .res_partner import ECONNECT_FORMATS

_logger = logging.getLogger(__name__)

# More invoices than this at once are sent in the background by the scheduled action.
SYNC_LIMIT = 50
# Up to this many invoices at once, every UBL is built (and kept) while the user waits, so that the batch report
# lists the errors of Odoo's builder too; beyond it the scheduled action builds them and reports when done.
BUILD_CHECK_LIMIT = 1000
# A queued invoice whose sender vanished (worker killed mid-upload) is picked up by the scheduled
# action after this delay, and uploaded again with the same document id (eConnect answers 409 if the
# first upload had landed).
IN_FLIGHT_GRACE = timedelta(minutes=10)
SEND_CRON_XMLID = "econnect_odoo.ir_cron_econnect_send"
# Sent invoices without a delivery event after this delay are polled (fallback for lost webhooks).
STATUS_POLL_AFTER = timedelta(minutes=15)

# What one upload needs, read before the claim's commit empties Odoo's cache.
UploadItem = namedtuple("UploadItem", "client party document_id xml filename demo")


class AccountMove(models.Model):
    _inherit = "account.move"

    econnect_state = fields.Selection(
        selection=[
            ("not_sent", "Not sent"),
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("retrying", "Retrying"),
            ("error", "Error"),
        ],
        string="eConnect status",
        default="not_sent",
        required=True,
        copy=False,
        index=True,
        help="Queued: waiting to be uploaded. Sent: eConnect accepted it. Delivered: it reached the customer's "
        "access point. Retrying: eConnect could not be reached; Odoo tries again with the same document id. "
        "Error: it needs your attention (see the message).",
    )
    econnect_uuid = fields.Char(
        string="eConnect document id (ours)",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Created once per invoice and sent on every attempt, so eConnect never accepts the invoice twice.",
    )
    econnect_document_id = fields.Char(
        string="eConnect document id", copy=False, readonly=True, help="The document id eConnect answered."
    )
    econnect_message = fields.Char(string="eConnect message", copy=False, readonly=True)
    econnect_sent_date = fields.Datetime(string="Sent to eConnect on", copy=False, readonly=True)
    econnect_status_date = fields.Datetime(
        string="eConnect status updated on", copy=False, readonly=True,
        help="When eConnect last told us what became of this invoice.",
    )

    econnect_retry_count = fields.Integer(string="eConnect attempts", copy=False, readonly=True)
    econnect_next_attempt = fields.Datetime(
        string="Next eConnect attempt",
        copy=False, readonly=True, index="btree_not_null",
        help="When the scheduled action uploads this invoice (again).",
    )
    econnect_queued_by_id = fields.Many2one("res.users", string="Queued for eConnect by", copy=False, readonly=True)
    econnect_can_send = fields.Boolean(string="Can be sent via eConnect", compute="_compute_econnect_can_send")
    econnect_can_resend = fields.Boolean(string="Can be resent via eConnect", compute="_compute_econnect_can_send")

    @api.depends("state", "move_type", "econnect_state", "company_id.econnect_state")
    def _compute_econnect_can_send(self):
        for move in self:
            eligible = (
                move.state == "posted"
                and move.move_type in ("out_invoice", "out_refund")
                and move.company_id.econnect_state == "active"
            )
            move.econnect_can_send = eligible and move.econnect_state == "not_sent"
            move.econnect_can_resend = eligible and move.econnect_state == "error"

    def _econnect_write(self, vals):
        """Write eConnect bookkeeping fields, which are not an edit of the invoice.

        ``account.move.write`` exists for the accounting of an invoice (lock dates, hash, journal sequence, tax and
        payment line synchronisation, balance, tracking, the "manually modified" flag): none of it concerns these
        columns, and all of it costs more than the send itself. So they are written by the plain ORM write.
        """
        assert all(name.startswith("econnect_") for name in vals), vals
        return models.BaseModel.write(self, vals)

    # ------------------------------------------------------------------------------------------
    # Delivery results (webhook events or status polling)
    # ------------------------------------------------------------------------------------------
    def _econnect_apply_delivery_event(self, topic, message=None):
        """Apply a delivery result of eConnect to sent invoices.

        ``topic`` is a webhook topic (``InvoiceSent``, ``InvoiceSentRetry``, ``InvoiceSentError``).
        Leaves a chatter message; an error also gets an activity for the invoice's responsible user.
        Returns the moves whose state changed.
        """
        changed = self.env["account.move"]
        for move in self:
            if topic == contract.TOPIC_INVOICE_SENT:
                if move.econnect_state == "delivered":
                    continue
                move._econnect_write({
                    "econnect_state": "delivered",
                    "econnect_message": False,
                    "econnect_status_date": fields.Datetime.now(),
                })
                move._econnect_log(self.env._("Delivered to the customer's Peppol access point."))
            elif topic == contract.TOPIC_INVOICE_SENT_RETRY:
                move._econnect_write({
                    "econnect_message": message or self.env._("eConnect retries the delivery."),
                    "econnect_status_date": fields.Datetime.now(),
                })
                move._econnect_log(
                    self.env._("eConnect could not deliver yet and retries: %s", message or "-")
                )
            elif topic == contract.TOPIC_INVOICE_SENT_ERROR:
                if move.econnect_state == "error" and move.econnect_message == message:
                    continue
                text = message or self.env._("eConnect could not deliver the invoice.")
                move._econnect_write({
                    "econnect_state": "error",
                    "econnect_message": text,
                    "econnect_status_date": fields.Datetime.now(),
                })
                move._econnect_log(self.env._("Delivery failed: %s", text))
                move._econnect_schedule_error_activity(text)
            else:
                continue
            changed |= move
        return changed

    def _econnect_log(self, body):
        """A chatter note on the invoice, marked as demo when the company uses the demo environment."""
        for move in self:
            text = body
            if move.company_id._econnect_is_demo():
                text = self.env._("[Demo] %s", body)
            move._message_log(body=Markup("<p>%s</p>") % text, **self._econnect_author())

    def _econnect_author(self):
        """Author of our chatter notes: the current user, given explicitly (name and e-mail read alone: the mail
        framework would load the whole partner record for every note)."""
        partner = self.env.user.partner_id
        values = partner.read(["name", "email"], load=False)[0]
        email_from = values["email"] and formataddr((values["name"] or "", values["email"]))
        return {"author_id": partner.id, "email_from": email_from or False}

    def _econnect_schedule_error_activity(self, text):
        """An activity for the invoice's responsible: its salesperson, else who sent it (a scheduled action runs
        as OdooBot, whose activities nobody sees). No "assigned to you" mail per invoice: the e-mail about a
        failure is the user's digest, if they want it."""
        for move in self.with_context(mail_activity_quick_update=True):
            user = move.invoice_user_id or move.econnect_queued_by_id or self.env.user
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("eConnect could not deliver this invoice"),
                note=text,
                user_id=user.id,
            )

    @api.model
    def _econnect_find_sent(self, company, document_id):
        """The sent invoice of ``company`` that eConnect knows as ``document_id`` (ours or theirs)."""
        return self.search(
            [
                ("company_id", "=", company.id),
                "|", ("econnect_uuid", "=", document_id), ("econnect_document_id", "=", document_id),
            ],
            limit=1,
        )

    @api.model
    def _econnect_find_sent_elsewhere(self, company, document_id):
        """Whether an invoice of another company than ``company`` was sent as ``document_id`` (call with sudo)."""
        return bool(self.search_count(
            [
                ("company_id", "!=", company.id),
                "|", ("econnect_uuid", "=", document_id), ("econnect_document_id", "=", document_id),
            ],
            limit=1,
        ))

    # ------------------------------------------------------------------------------------------
    # Checks before anything leaves
    # ------------------------------------------------------------------------------------------
    def _econnect_builder(self):
        """Odoo's UBL builder for this invoice: the partner's format when it is one we send, else BIS 3."""
        self.ensure_one()
        partner = self.commercial_partner_id.with_company(self.company_id)
        edi_format = partner.invoice_edi_format if partner.invoice_edi_format in ECONNECT_FORMATS else "ubl_bis3"
        return partner._get_edi_builder(edi_format)

    def _econnect_precheck(self, lookup=True):
        """``{move: [problem, ...]}`` for every invoice that cannot be sent as it is.

        Each problem says what to fix and where. Invoices without problems are absent. With ``lookup`` (the send
        actions), eConnect is asked whether the customers can receive (cached a week on the partner); without it
        (what a compute shows, e.g. the Send dialog's alerts) only the stored answers count: no HTTP call.
        """
        problems = {}
        lookup_partners = {}
        for move in self:
            issues = []
            partner = move.commercial_partner_id
            if move.move_type not in ("out_invoice", "out_refund"):
                issues.append(self.env._("Only customer invoices and credit notes are sent through eConnect."))
            elif move.state != "posted":
                issues.append(self.env._("Confirm the invoice first."))
            if move.econnect_state != "not_sent":
                state = dict(self._fields["econnect_state"]._description_selection(self.env))[move.econnect_state]
                issues.append(
                    self.env._("It was sent through eConnect already (status: %s). Use Resend after an error.", state)
                )
            company = move.company_id
            if company.econnect_state != "active":
                issues.append(
                    self.env._(
                        "eConnect is not active for %s: an administrator activates it in Settings > Invoicing > "
                        "eConnect.",
                        company.name,
                    )
                )
            else:
                own = company.partner_id
                try:
                    company_party = company._econnect_party()
                    own_party = own._econnect_party()
                except InvalidPartyId:
                    own_party = None
                if own_party != company_party:
                    issues.append(
                        self.env._(
                            "The Peppol e-address of %(company)s must be its eConnect party id %(party)s: set "
                            "it on the company's contact (Invoicing tab).",
                            company=company.name, party=company.econnect_party_id,
                        )
                    )
            try:
                party = partner._econnect_party()
            except InvalidPartyId as error:
                party = None
                hint = ""
                if partner.econnect_endpoint_proposal:
                    hint = " " + self.env._(
                        "Proposed from its registry number: %s.", partner.econnect_endpoint_proposal
                    )
                issues.append(
                    self.env._(
                        "Customer %(partner)s has no valid Peppol id (%(error)s): set its Peppol e-address and "
                        "endpoint in Contacts > %(partner)s > Invoicing tab.%(hint)s",
                        partner=partner.display_name, error=party_reason(self.env, error), hint=hint,
                    )
                )
            edi_format = partner.with_company(company).invoice_edi_format
            if edi_format and edi_format not in ECONNECT_FORMATS:
                issues.append(
                    self.env._(
                        "Customer %s has an e-invoice format eConnect does not send: choose Peppol BIS Billing 3.0 "
                        "or NLCIUS in its Invoicing tab.",
                        partner.display_name,
                    )
                )
            if not (move.ref or partner.ref):
                issues.append(
                    self.env._(
                        "Peppol requires a buyer or order reference (rule R003): fill the Customer Reference of "
                        "the invoice (Other Info tab) or the Reference of %s.",
                        partner.display_name,
                    )
                )
            if party and party.scheme == "0190" and not move.ref:
                issues.append(
                    self.env._(
                        "Dutch government customers (OIN 0190) require their purchase order number: fill the "
                        "Customer Reference of the invoice (Other Info tab)."
                    )
                )
            if move.move_type == "out_refund" and not move.reversed_entry_id and not move.ref:
                issues.append(
                    self.env._(
                        "A credit note must name the invoice it corrects: create it with the Credit Note button "
                        "of that invoice, or type that invoice's number as the Customer Reference (Other Info tab)."
                    )
                )
            if party and not issues and company.econnect_state == "active":
                lookup_partners.setdefault(company, self.env["res.partner"])
                lookup_partners[company] |= partner
            if issues:
                problems[move] = issues
        problems.update(self._econnect_lookup_problems(lookup_partners, ask=lookup))
        return problems

    def _econnect_lookup_problems(self, partners_by_company, ask=True):
        """Problems for the customers eConnect cannot find on Peppol: asked now when the cached answer is older than
        a week (``ask``), else as stored."""
        problems = {}
        for company, partners in partners_by_company.items():
            if ask:
                try:
                    partners._econnect_lookup(company)
                except PSBError as error:
                    # eConnect unreachable for the lookup: don't block; the upload itself decides.
                    _logger.info("eConnect receiver lookup failed (%s); sending anyway", error.kind)
                    continue
            for move in self.filtered(lambda m, c=company: m.company_id == c):
                partner = move.commercial_partner_id
                if partner in partners and partner.econnect_lookup_state == "not_found" \
                        and partner._econnect_lookup_is_fresh():
                    problems.setdefault(move, []).append(
                        self.env._(
                            "eConnect cannot find %(partner)s (%(party)s) on the Peppol network: check its Peppol "
                            "id, or send this invoice another way.",
                            partner=partner.display_name, party=partner.econnect_lookup_endpoint,
                        )
                    )
        return problems

    def _econnect_build_documents(self, reuse_stored=False):
        """``({move: (xml, filename, stored)}, {move: [problem]})``: the UBL of each invoice from Odoo's builder.

        A first send always builds it fresh (a UBL made earlier for e-mail may predate the customer's Peppol id);
        a retry (``reuse_stored``) sends the stored one again, byte for byte.
        """
        documents, problems = {}, {}
        for move in self:
            if reuse_stored and move.ubl_cii_xml_id:
                documents[move] = (move.ubl_cii_xml_id.raw, move.ubl_cii_xml_id.name, True)
                continue
            builder = move._econnect_builder()
            xml, errors = builder._export_invoice(move)
            if errors:
                problems[move] = sorted(errors)
            else:
                documents[move] = (xml, builder._export_invoice_filename(move), False)
        return documents, problems

    def _econnect_add_builder_problems(self, problems):
        """Add the errors of Odoo's builder to the invoices our checks refused, so that the user gets every
        problem of an invoice at once (not a second refusal after fixing the first ones). The builder's own
        messages about what our checks said already (buyer endpoint, credit note reference) are left out."""
        refused = self.browse([move.id for move in problems]).filtered(
            lambda m: m.state == "posted"
            and m.move_type in ("out_invoice", "out_refund")
            and m.econnect_state == "not_sent"
            and m.company_id.econnect_state == "active"
        )
        if not refused:
            return
        _documents, build_problems = refused.with_context(econnect_prechecked=True)._econnect_build_documents()
        for move, issues in build_problems.items():
            problems[move].extend(issue for issue in issues if issue not in problems[move])

    def _econnect_store_documents(self, documents):
        """Keep the UBL we send as the invoice's UBL attachment (Odoo's own place for it)."""
        values = [
            {
                "name": filename, "raw": xml, "mimetype": "application/xml",
                "res_model": move._name, "res_id": move.id, "res_field": "ubl_cii_xml_file",
            }
            for move, (xml, filename, stored) in documents.items()
            if not stored
        ]
        if values:
            replaced = self.browse([move.id for move, document in documents.items() if not document[2]])
            replaced.ubl_cii_xml_id.sudo().unlink()  # an older UBL of the invoice (e.g. made for e-mail)
            self.env["ir.attachment"].sudo().create(values)
            self.browse([move.id for move in documents]).invalidate_recordset(["ubl_cii_xml_id", "ubl_cii_xml_file"])
        return {move: (xml, filename, True) for move, (xml, filename, _stored) in documents.items()}

    # ------------------------------------------------------------------------------------------
    # Sending: claim (document id committed), upload (in parallel), record
    # ------------------------------------------------------------------------------------------
    def action_econnect_send(self):
        """Send these invoices through eConnect: checked first, each one exactly once."""
        self.env["res.company"]._econnect_check_access(self, "user")
        moves = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))
        if not moves:
            raise UserError(self.env._("Select customer invoices or credit notes to send through eConnect."))
        problems = moves._econnect_precheck()
        moves._econnect_add_builder_problems(problems)
        documents = None
        if len(moves) <= BUILD_CHECK_LIMIT:
            ready = moves.filtered(lambda m: m not in problems)
            documents, build_problems = ready._econnect_build_documents()
            problems.update(build_problems)
        if problems:
            if len(moves) == 1:
                raise UserError("\n".join(problems[moves]))
            return self.env["econnect.send.report"]._open_for(moves, problems)
        return moves._econnect_send_checked(documents)

    def action_econnect_resend(self):
        """After an error: start over with a new document id (the old one stays in the chatter)."""
        self.env["res.company"]._econnect_check_access(self, "user")
        for move in self.filtered(lambda m: m.econnect_state == "error"):
            old = move.econnect_uuid
            move._econnect_write({
                "econnect_state": "not_sent",
                "econnect_uuid": False,
                "econnect_document_id": False,
                "econnect_message": False,
                "econnect_retry_count": 0,
                "econnect_next_attempt": False,
            })
            move._econnect_log(self.env._("Resend requested; the previous eConnect document id was %s.", old or "-"))
        return self.action_econnect_send()

    def _econnect_send_checked(self, documents=None):
        """Send checked invoices: now when few (documents given), else in the background."""
        if documents is None or len(self) > SYNC_LIMIT:
            self._econnect_claim(documents=documents, background=True)  # the UBL built here, kept for the upload
            self.env.ref(SEND_CRON_XMLID)._trigger()
            return self._econnect_notification(
                self.env._("Sending in the background"),
                self.env._("Invoices queued for eConnect: %s. You will be notified when they are sent.", len(self)),
                "info",
            )
        plan = self._econnect_claim(documents=documents)
        # The user's request commits the outcome: after the claim's commit, a lost outcome only means the
        # scheduled action uploads again with the same document id (eConnect answers 409).
        self._econnect_upload(plan, commit_outcome=False)
        return self._econnect_result_notification()

    def _econnect_claim(self, documents=None, background=False):
        """Lock the invoices, give each its document id (once) and its UBL attachment, mark them queued,
        and commit: from here on, whatever happens, the invoice can only reach eConnect with this id.

        Returns the upload plan of the invoices whose UBL was given (see ``_econnect_upload_plan``), read
        before the commit empties Odoo's cache."""
        self._econnect_lock()
        already = self.filtered(lambda m: m.econnect_state != "not_sent")
        if already:
            raise UserError(
                self.env._(
                    "Already sent or being sent through eConnect: %s. Nothing was sent twice.",
                    ", ".join(already.mapped("display_name")),
                )
            )
        now = fields.Datetime.now()
        for move in self:
            values = {
                "econnect_state": "queued",
                "econnect_uuid": move.econnect_uuid or str(uuid.uuid4()),
                "econnect_retry_count": 0 if background else 1,  # the first try: now, or the scheduled action's lease
                "econnect_message": False,
                "econnect_queued_by_id": self.env.uid,
                "econnect_next_attempt": now if background else now + IN_FLIGHT_GRACE,
            }
            move._econnect_write(values)
        if background and not documents:
            # Built by the scheduled action: not from a UBL made earlier (for e-mail, before the Peppol id was set).
            self.ubl_cii_xml_id.sudo().unlink()
            self.invalidate_recordset(["ubl_cii_xml_id", "ubl_cii_xml_file"])
        documents = self._econnect_store_documents(documents or {})
        if background:
            self._message_log_batch(
                bodies={m.id: self.env._("Queued for eConnect (document id %s).", m.econnect_uuid) for m in self},
                **self._econnect_author(),
            )
        plan = self._econnect_upload_plan(documents) if documents and not background else None
        commit(self.env)
        return plan

    def _econnect_lock(self):
        """Row locks that fail at once when another transaction is sending the same invoices."""
        # SKIP LOCKED (tools/queue.py) rather than NOWAIT: a busy row is an expected situation here, not a failed query
        if len(claim(self)) != len(self.ids):
            raise UserError(
                self.env._(
                    "These invoices are being sent by another user or process right now. Nothing was sent twice; "
                    "reload the page in a moment to see the result."
                )
            )
        self.invalidate_recordset(["econnect_state", "econnect_uuid"])

    def _econnect_upload_plan(self, documents):
        """Everything the upload needs, read now: ``{move id: UploadItem}``, plus ``None`` under the key
        ``"author"`` for the chatter author. Companies that are not active any more are left out."""
        plan = {}
        companies = {}
        for move, (xml, filename, _stored) in documents.items():
            company = move.company_id
            if company not in companies:
                active = company.econnect_state == "active"
                companies[company] = active and (
                    company._econnect_client(), company._econnect_party(), company._econnect_is_demo()
                )
            if companies[company]:
                client, party, demo = companies[company]
                plan[move.id] = UploadItem(client, party, move.econnect_uuid, xml, filename, demo)
        return {"items": plan, "author": self._econnect_author()}

    def _econnect_upload(self, plan=None, commit_outcome=True):
        """Upload queued invoices (their UBL, their document id) side by side; record each outcome on its own
        invoice; commit. One invoice's failure never affects the others.

        ``plan`` (from the claim) spares reading everything back after the claim's commit; without it, the
        invoices are read: queued in the background or due for a retry."""
        from_queue = plan is None  # reading the queue may itself record errors (a UBL that cannot be built)
        if from_queue:
            plan = self._econnect_plan_queued()
        items = plan["items"]
        results = run_parallel("send_invoice", [
            (move_id, item.client, (item.party, item.xml, item.document_id, item.filename))
            for move_id, item in items.items()
        ])
        failures = self._econnect_record_upload_results(results, plan, commit_outcome) if results else False
        if failures or from_queue:  # the failures of this run, one digest per user (the safety net: the rest)
            self.env["econnect.notifier"]._econnect_send_digests()

    def _econnect_record_upload_results(self, results, plan, commit_outcome=True):
        """Record each upload's outcome on its invoice; commit. True when any invoice failed or must retry."""
        items = plan["items"]
        # A delivery event may have been processed meanwhile: lock and re-read, never downgrade it.
        self.env["account.move"].flush_model(["econnect_state"])
        self.env.cr.execute(
            "SELECT id, econnect_state FROM account_move WHERE id IN %s FOR UPDATE", [tuple(items)]
        )
        states = dict(self.env.cr.fetchall())
        sent_bodies = {}
        failures = False
        now = fields.Datetime.now()
        for move_id, answer, error in results:
            if states.get(move_id) not in ("queued", "retrying"):
                continue  # an event (delivered / delivery error) told us more than this answer
            move = self.browse(move_id)
            item = items[move_id]
            if error is None or isinstance(error, AlreadySentError):
                remote_id = (answer or {}).get("id") or item.document_id
                move._econnect_write({
                    "econnect_state": "sent",
                    "econnect_document_id": remote_id,
                    "econnect_message": False,
                    "econnect_sent_date": now,
                    "econnect_next_attempt": False,
                })
                if error is None:
                    body = self.env._("Sent to eConnect (document id %s).", remote_id)
                else:
                    body = self.env._("eConnect already had this invoice (document id %s): not sent twice.", remote_id)
                sent_bodies[move_id] = self.env._("[Demo] %s", body) if item.demo else body
            elif isinstance(error, PSBError) and error.retryable:
                failures = True
                move.invalidate_recordset(["econnect_state"])
                move._econnect_record_retry(user_message(self.env, error))
            else:
                failures = True
                if not isinstance(error, PSBError):
                    _logger.exception("eConnect: unexpected failure uploading invoice %s", move_id, exc_info=error)
                move.invalidate_recordset(["econnect_state"])
                move._econnect_record_error(user_message(self.env, error))
        if sent_bodies:
            self.browse(list(sent_bodies))._message_log_batch(bodies=sent_bodies, **plan["author"])
        if commit_outcome:
            commit(self.env)
        return failures

    def _econnect_plan_queued(self):
        """The upload plan of queued or retrying invoices: their stored UBL (built and stored when missing)."""
        moves = self.filtered(lambda m: m.econnect_state in ("queued", "retrying") and m.econnect_uuid)
        inactive = moves.filtered(lambda m: m.company_id.econnect_state != "active")
        for move in inactive:
            move._econnect_record_retry(self.env._("eConnect is not active for the company any more."))
        built, problems = (moves - inactive)._econnect_build_documents(reuse_stored=True)
        for move, issues in problems.items():
            move._econnect_record_error("\n".join(issues))
        return (moves - inactive)._econnect_upload_plan(self._econnect_store_documents(built))

    def _econnect_record_retry(self, message):
        """A retryable failure of the try under way: tried again after the backoff (``psb/retry.py``), or in error
        after the last try."""
        self.ensure_one()
        attempt = max(self.econnect_retry_count, 1)  # counted when the try started (claim or lease)
        next_attempt = BETWEEN_RUNS.next_try(attempt, fields.Datetime.now())
        if next_attempt is None:
            self._econnect_record_error(
                self.env._("Gave up after %(count)s attempts: %(message)s", count=attempt, message=message)
            )
            return
        self._econnect_write({
            "econnect_state": "retrying",
            "econnect_retry_count": attempt,
            "econnect_next_attempt": next_attempt,
            "econnect_message": message,
        })
        self._econnect_log(
            self.env._(
                "Not sent yet: %(message)s Odoo tries again at %(when)s with the same document id.",
                message=message, when=fields.Datetime.to_string(next_attempt),
            )
        )

    def _econnect_record_error(self, message):
        self.ensure_one()
        self._econnect_write({"econnect_state": "error", "econnect_message": message, "econnect_next_attempt": False})
        self._econnect_log(self.env._("Not sent: %s", message))
        self._econnect_schedule_error_activity(message)
        self.env["econnect.notifier"]._econnect_notify("sent_failed", self)

    # ------------------------------------------------------------------------------------------
    # Feedback to the user
    # ------------------------------------------------------------------------------------------
    def _econnect_notification(self, title, message, kind, sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": sticky,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _econnect_result_notification(self):
        sent = self.filtered(lambda m: m.econnect_state in ("sent", "delivered"))
        retrying = self.filtered(lambda m: m.econnect_state == "retrying")
        failed = self.filtered(lambda m: m.econnect_state == "error")
        lines = []
        if sent:
            lines.append(self.env._("%s sent to eConnect.", len(sent)))
        if retrying:
            lines.append(self.env._("%(count)s not sent yet, Odoo retries: %(names)s.",
                                    count=len(retrying), names=", ".join(retrying.mapped("name"))))
        if failed:
            lines.append(self.env._("%(count)s failed: %(names)s (see the invoice).",
                                    count=len(failed), names=", ".join(failed.mapped("name"))))
        kind = "danger" if failed else "warning" if retrying else "success"
        return self._econnect_notification(self.env._("eConnect"), " ".join(lines), kind, sticky=bool(failed))

    # ------------------------------------------------------------------------------------------
    # Scheduled actions
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_econnect_send(self, batch_size=200):
        """Upload the due queued and retrying invoices (``tools/queue.py``): claimed in batches, each try counted and
        leased before the upload, within the cron's time budget; re-triggered while some are due, else for the
        earliest that waits."""

        def due(exclude):
            return self.search([
                ("econnect_state", "in", ("queued", "retrying")),
                ("econnect_next_attempt", "<=", fields.Datetime.now()),
                ("id", "not in", list(exclude)),
            ], limit=batch_size, order="econnect_next_attempt, id")

        def send(moves, budget):
            moves = claim(
                moves, "econnect_state IN ('queued', 'retrying') AND econnect_next_attempt <= %s",
                [fields.Datetime.now()], lease=lambda claimed: claimed._econnect_lease(lease_until(budget)),
            )
            # claimed in the background: still to be checked and given their UBL (done by _econnect_upload)
            moves._econnect_upload()
            moves._econnect_report_background_batch()

        def next_due():  # a retry's backoff, or the lease of a run that was killed under way
            waiting = self.search([("econnect_state", "in", ("queued", "retrying")),
                                   ("econnect_next_attempt", "!=", False)], limit=1, order="econnect_next_attempt")
            return waiting.econnect_next_attempt

        work_through(self.env, SEND_CRON_XMLID, due, send, next_due=next_due)

    def _econnect_lease(self, until):
        """Count the try now and hold the invoices ``until`` then (committed by the claim): a run that dies during the
        upload has used a try like any failure, and a later run uploads them again (same document id) once the lease
        is over. An invoice whose last try never finished is in error now."""
        for move in self:
            if BETWEEN_RUNS.exhausted(move.econnect_retry_count):
                move._econnect_record_error(self.env._(
                    "Gave up after %(count)s attempts: the last one did not finish (the process was stopped). "
                    "%(message)s", count=move.econnect_retry_count, message=move.econnect_message or "",
                ).strip())
                continue
            move._econnect_write({
                "econnect_retry_count": move.econnect_retry_count + 1,
                "econnect_next_attempt": until,
            })

    def _econnect_report_background_batch(self):
        """Tell the users who queued these invoices what became of them (the bus notification of Odoo's
        batch sending)."""
        for user, moves in self.grouped("econnect_queued_by_id").items():
            if not user:
                continue
            sent = moves.filtered(lambda m: m.econnect_state in ("sent", "delivered"))
            retrying = moves.filtered(lambda m: m.econnect_state in ("queued", "retrying"))
            failed = moves.filtered(lambda m: m.econnect_state == "error")
            for subset, kind, title, action_name in (
                (sent, "success", self.env._("eConnect: invoices sent"), self.env._("Sent invoices")),
                (retrying, "warning", self.env._("eConnect: not sent yet, Odoo retries"),
                 self.env._("Invoices to retry")),
                (failed, "warning", self.env._("eConnect: invoices in error"), self.env._("Invoices in error")),
            ):
                if not subset:
                    continue
                user.partner_id._bus_send("account_notification", {
                    "type": kind,
                    "title": title,
                    "message": self.env._("Invoices processed: %s.", len(subset)),
                    "action_button": {
                        "name": self.env._("Open"),
                        "action_name": action_name,
                        "model": "account.move",
                        "res_ids": subset.ids,
                    },
                })

    @api.model
    def _cron_econnect_poll_statuses(self, batch_size=200):
        """Fallback for lost webhooks: ask eConnect what became of invoices sent a while ago."""
        return self._econnect_poll_statuses(batch_size=batch_size)[1]

    @api.model
    def _econnect_poll_statuses(self, journals=None, batch_size=200):
        """Poll the sent status of invoices without news: all of ``journals`` at once, else those sent more than
        STATUS_POLL_AFTER ago. Returns ``(polled moves, changed moves)``."""
        domain = [("econnect_state", "=", "sent"), ("econnect_uuid", "!=", False)]
        if journals:
            domain.append(("journal_id", "in", journals.ids))
        else:
            domain.append(("econnect_sent_date", "<", fields.Datetime.now() - STATUS_POLL_AFTER))
        moves = self.search(domain, limit=batch_size, order="econnect_sent_date, id")
        moves = moves.filtered(lambda m: m.company_id.econnect_state == "active")
        # the plan, read here: the threads get the client and plain values only
        jobs = []
        for company, company_moves in moves.grouped("company_id").items():
            try:
                client, party = company._econnect_client(), company._econnect_party()
            except UserError as error:
                _logger.info("eConnect statuses of company %s not polled: %s", company.id, error)
                continue
            jobs += [
                (move.id, client, (party, move.econnect_document_id or move.econnect_uuid)) for move in company_moves
            ]
        results = run_parallel("get_sent_status", jobs)
        changed = self.env["account.move"]
        for move_id, history, error in results:
            move = self.browse(move_id)
            if error is not None:
                if not isinstance(error, PSBError):
                    _logger.error("eConnect: status of invoice %s unavailable", move_id, exc_info=error)
                else:
                    _logger.info("eConnect status of invoice %s unavailable (%s)", move_id, error.kind)
                continue
            found = contract.sent_status_topic(history)
            if found:
                changed |= move._econnect_apply_delivery_event(*found)
            else:
                move._econnect_write({"econnect_status_date": fields.Datetime.now()})
        notifier = self.env["econnect.notifier"]
        notifier._econnect_notify("sent_delivered", changed.filtered(lambda m: m.econnect_state == "delivered"))
        notifier._econnect_notify("sent_failed", changed.filtered(lambda m: m.econnect_state == "error"))
        notifier._econnect_send_digests()
        return moves, changed
