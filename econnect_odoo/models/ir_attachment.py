import logging

from odoo import models

from ..psb import safexml

_logger = logging.getLogger(__name__)


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _decode_edi_xml(self, filename, content):
        """EXTENDS account: every XML Odoo reads as an e-invoice (received through eConnect, mailed to a submission
        address, embedded in a PDF, uploaded) has its elements and attributes counted before lxml parses it: the
        lxml Odoo 18 pins spends minutes on an element with 200,000 attributes. A refused file is not read, like
        a file Odoo cannot parse; it stays attached."""
        if isinstance(content, bytes | bytearray):
            problem = safexml.markup_problem(content)
            if problem is not None:
                _logger.info("The XML file %r was not read as an e-invoice: %s", filename, problem)
                return []
        return super()._decode_edi_xml(filename, content)
