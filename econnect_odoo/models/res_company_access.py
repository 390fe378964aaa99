"""Who may act on a company's eConnect: THE check of every public method of the addon (see DEVELOPERS.md, Rules).

A public method (an ``action_*`` button, any method without a leading underscore, a controller) that acts on
companies, connections, invoices, bills, events or journals, or that calls eConnect, starts with::

    self.env["res.company"]._econnect_check_access(records, "user")   # or "admin"

on the caller's environment and *before* any ``sudo()``. It refuses (AccessError, in the user's language) a user
outside the eConnect group, and records of a company the user does not work in (``res.users.company_ids``):
record rules only see the companies selected in the switcher, and code under ``sudo()`` sees none.
"""

from odoo import api, models
from odoo.exceptions import AccessError

GROUPS = {
    "user": "econnect_odoo.group_econnect_user",
    "admin": "econnect_odoo.group_econnect_admin",
}


class ResCompany(models.Model):
    # Access to a company's eConnect is its own concern, apart from activation (res_company.py).
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _econnect_check_access(self, records=None, group="user"):
        """Refuse unless the user is an eConnect ``group`` ("user" or "admin") member working in every company of
        ``records``: companies themselves, connections (all the companies that use them) or any record with a
        ``company_id``. The superuser (scheduled actions, the system itself) passes. Returns nothing."""
        if self.env.su:
            return
        user = self.env.user
        if group and not user.has_group(GROUPS[group]):
            raise AccessError(
                self.env._("Only eConnect administrators may do this.") if group == "admin"
                else self.env._("Only eConnect users may do this.")
            )
        outside = self._econnect_companies_of(records) - user.company_ids
        if outside:
            # The companies' names are not said: they are not the user's to know.
            raise AccessError(self.env._(
                "You may only act on the eConnect of companies you work in; this concerns another company."
            ))

    @api.model
    def _econnect_companies_of(self, records):
        """The companies ``records`` belong to (read as superuser: the check must see what the user cannot)."""
        if not records:
            return self.browse()
        records = records.sudo()
        if records._name == "res.company":
            return records
        if records._name == "econnect.connection":
            return records.with_context(active_test=False).company_ids
        return records.company_id
