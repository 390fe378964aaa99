-- A neutralized copy of a database never talks to eConnect production: every connection goes to the
-- demo environment (the simulator) and forgets its keys, companies drop their webhooks (they stay
-- registered for the original database only) and must be activated again, and eConnect's scheduled
-- actions stop.
UPDATE econnect_connection
   SET environment = 'demo',
       api_url = NULL,
       identity_url = NULL,
       client_secret_encrypted = NULL,
       password_encrypted = NULL,
       subscription_key_encrypted = NULL;
UPDATE res_company
   SET econnect_hook_id = NULL,
       econnect_webhook_token = NULL,
       econnect_webhook_secret_encrypted = NULL,
       econnect_state = 'not_connected'
 WHERE econnect_state != 'not_connected' OR econnect_hook_id IS NOT NULL OR econnect_webhook_token IS NOT NULL;
UPDATE ir_cron
   SET active = FALSE
 WHERE id IN (SELECT res_id FROM ir_model_data WHERE module = 'econnect_odoo' AND model = 'ir.cron');
