"""``odoo-bin --addons-path=<path> econnect_rotate_key -c <conf> -d <db>``: re-encrypt every eConnect secret with the
newest master key (the ``--addons-path=`` option first: Odoo only finds the commands of addons that way).

Rotation: set the master key option (or variable) to ``NEW,OLD`` (the first key encrypts, all keys
decrypt), run this command for every database, then remove ``OLD``.
"""

import logging
import sys
from pathlib import Path

import odoo
from odoo.cli import Command

_logger = logging.getLogger(__name__)


class EconnectRotateKey(Command):
    """Re-encrypt the eConnect secrets of a database with the newest master key"""

    name = "econnect_rotate_key"

    def run(self, args):
        config = odoo.tools.config
        config.parser.prog = f"{Path(sys.argv[0]).name} {self.name}"
        config.parse_config(args, setup_logging=True)
        dbname = config["db_name"]
        if not dbname:
            _logger.error('econnect_rotate_key needs a database name: use "-d".')
            sys.exit(1)
        registry = odoo.modules.registry.Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            count = env["econnect.connection"]._econnect_rotate_all_secrets()
        _logger.info("eConnect: re-encrypted %s secret(s) of database %s with the newest master key.", count, dbname)
