def uninstall_hook(env):
    """Forget the ``econnect`` sending method where partners had chosen it.

    ``invoice_sending_method`` is company-dependent (a jsonb value per company). Odoo's generic clean-up of
    a removed selection value queries the column as if it were text, which PostgreSQL refuses for jsonb; so
    we remove the value from the jsonb ourselves, then drop the selection value's record before Odoo's
    clean-up gets to it.
    """
    env.cr.execute(
        """
        UPDATE res_partner
           SET invoice_sending_method = NULLIF(
                   (SELECT COALESCE(jsonb_object_agg(key, value), '{}'::jsonb)
                      FROM jsonb_each(invoice_sending_method)
                     WHERE value <> '"econnect"'::jsonb),
                   '{}'::jsonb)
         WHERE invoice_sending_method IS NOT NULL
           AND jsonb_typeof(invoice_sending_method) = 'object'
           AND EXISTS (SELECT 1 FROM jsonb_each(invoice_sending_method) WHERE value = '"econnect"'::jsonb)
        """
    )
    env.cr.execute(
        """
        DELETE FROM ir_model_fields_selection s
         USING ir_model_fields f
         WHERE s.field_id = f.id
           AND f.model = 'res.partner'
           AND f.name = 'invoice_sending_method'
           AND s.value = 'econnect'
        RETURNING s.id
        """
    )
    removed = [row[0] for row in env.cr.fetchall()]
    if removed:
        env.cr.execute(
            "DELETE FROM ir_model_data WHERE model = 'ir.model.fields.selection' AND res_id IN %s",
            [tuple(removed)],
        )
