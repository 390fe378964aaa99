from odoo import api, models

from ..tools import crypto


class EconnectSecretMixin(models.AbstractModel):
    """Write-only secrets, encrypted at rest.

    A model lists its secrets in ``_econnect_secrets``, a mapping ``field -> stored field``. The field
    the user sees (``client_secret``) is computed, never stored, and always reads empty: it is
    write-only. Writing it stores the Fernet token in the stored field (``client_secret_encrypted``),
    which only eConnect administrators may read and which is not exportable. ``<field>_is_set`` tells
    the form whether a secret is set. Code that needs the secret calls ``_econnect_secret(field)``.
    """

    _name = "econnect.secret.mixin"
    _description = "eConnect encrypted secrets"

    _econnect_secrets = {}

    def _compute_econnect_secrets(self):
        for record in self:
            for field, stored in self._econnect_secrets.items():
                record[field] = False
                record[f"{field}_is_set"] = bool(record.sudo()[stored])

    def _inverse_econnect_secrets(self):
        for record in self:
            for field, stored in self._econnect_secrets.items():
                value = record[field]
                if value:
                    record.sudo()[stored] = crypto.encrypt(value)

    def _econnect_secret(self, field):
        """The decrypted secret (server-side use only; never log it)."""
        self.ensure_one()
        return crypto.decrypt(self.sudo()[self._econnect_secrets[field]])

    def _econnect_clear_secret(self, field):
        self.sudo()[self._econnect_secrets[field]] = False

    @api.model
    def _econnect_rotate_secrets(self):
        """Re-encrypt every stored secret of this model with the newest master key."""
        count = 0
        # every record, archived ones too: a secret left under the old key would be lost with it
        for record in self.sudo().with_context(active_test=False).search([]):  # pylint: disable=no-search-all
            for stored in self._econnect_secrets.values():
                if record[stored]:
                    record[stored] = crypto.rotate(record[stored])
                    count += 1
        return count
