from odoo import models

from ..tools import budget


class IrCron(models.Model):
    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        """Tell our time budgets when each job of this process starts (with the cursor of its pass) and ends: a
        prefork cron worker gives its sign of life between passes, and they count from it (tools/budget.py)."""
        budget.cron_job_starting(cron_cr)
        try:
            return super()._process_job(db, cron_cr, job)
        finally:
            budget.cron_job_ended()
