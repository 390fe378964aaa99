/** @odoo-module **/
/**
 * An accountant rejects a bill received through eConnect from its form: the wizard refuses to send without a
 * reason, takes one from the Peppol list in words, and the bill's chatter then says what was answered.
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("econnect_answer_bill_tour", {
    steps: () => [
        {
            content: "The received bill offers the answers",
            trigger: ".o_form_view button[name=action_econnect_query]",
        },
        {
            content: "Reject it",
            trigger: ".o_form_view button[name=action_econnect_reject]",
            run: "click",
        },
        {
            content: "The wizard asks for a reason; send without one",
            trigger: ".modal:contains(Give at least one reason) .modal-footer button[name=action_send]",
            run: "click",
        },
        {
            content: "Refused: a reason is required",
            trigger: ".modal .modal-body:contains(Give at least one reason: the seller must learn why)",
        },
        {
            content: "Close the message",
            trigger: ".modal:has(.modal-body:contains(the seller must learn why)) .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Add a reason",
            trigger: ".modal div[name=reason_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "The reasons are words from the Peppol list",
            trigger: ".modal div[name=reason_ids] .o_data_row td[name=code] select:has(option:contains(Prices incorrect))",
            run: 'select "PRI"',
        },
        {
            content: "Explain it",
            trigger: ".modal div[name=reason_ids] .o_data_row td[name=text] input",
            run: "edit The unit price differs from PO-12",
        },
        {
            content: "Send the answer",
            trigger: ".modal button[name=action_send]",
            run: "click",
        },
        {
            content: "The wizard closes",
            trigger: "body:not(:has(.modal button[name=action_send]))",
        },
        {
            content: "The chatter says what was answered",
            trigger: ".o-mail-Message:contains(Answered through eConnect: Rejected):contains(Prices incorrect)",
        },
        {
            content: "A rejection is final: no more answers offered",
            trigger: ".o_form_view:not(:has(button[name=action_econnect_reject]))",
        },
    ],
});
