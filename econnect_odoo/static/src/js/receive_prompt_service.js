/** @odoo-module **/
/**
 * After login, asks eConnect administrators once whether their active companies should receive
 * e-invoices (the server decides who is asked: see ir.http.session_info and econnect.receive.prompt).
 */
import { registry } from "@web/core/registry";
import { session } from "@web/session";

export const econnectReceivePromptService = {
    dependencies: ["action", "orm"],
    start(env, { action, orm }) {
        if (!session.econnect_receive_prompt) {
            return;
        }
        session.econnect_receive_prompt = false;
        // Let the web client mount its first action, then open the dialog above it.
        env.bus.addEventListener(
            "WEB_CLIENT_READY",
            async () => {
                const prompt = await orm.call("econnect.receive.prompt", "action_open", []);
                if (prompt) {
                    await action.doAction(prompt);
                }
            },
            { once: true }
        );
    },
};

registry.category("services").add("econnect_receive_prompt", econnectReceivePromptService);
