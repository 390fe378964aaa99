from odoo import models

from ..tools import budget


class IrCron(models.Model):
    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        """Note when each job of this process ends: a prefork cron worker gives its sign of life right after its
        jobs, and our time budgets count from it (tools/budget.py)."""
        try:
            return super()._process_job(db, cron_cr, job)
        finally:
            budget.note_cron_job_end()
