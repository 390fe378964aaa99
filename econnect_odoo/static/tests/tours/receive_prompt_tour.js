/** @odoo-module **/
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("econnect_receive_prompt_tour", {
    steps: () => [
        {
            content: "The receive prompt opens by itself after login",
            trigger: ".modal .o_econnect_receive_prompt",
        },
        {
            content: "It explains the cost",
            trigger: ".modal .o_econnect_receive_prompt:contains('charges')",
        },
        {
            content: "Switch receiving on for the first company",
            trigger: ".modal .o_econnect_receive_prompt .o_data_row:first-child .o_field_boolean_toggle input",
            run: "click",
        },
        {
            content: "The switch is on",
            trigger: ".modal .o_econnect_receive_prompt .o_data_row:first-child .o_field_boolean_toggle input:checked",
        },
        {
            content: "Save",
            trigger: ".modal button[name='action_save']",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal .o_econnect_receive_prompt))",
        },
    ],
});
