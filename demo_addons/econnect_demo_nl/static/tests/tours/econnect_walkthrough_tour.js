/** @odoo-module **/
// The README's walkthrough of the Dutch demo, as a newcomer clicks it (tests/test_walkthrough.py runs each part).
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

// 1. The first login: the prompt asks whether the demo company receives e-invoices; switch it on.
tours.add("econnect_demo_first_login_tour", {
    steps: () => [
        {
            content: "The prompt opens by itself after login, for Demo Bedrijf B.V.",
            trigger: ".modal .o_econnect_receive_prompt .o_data_row:contains('Demo Bedrijf B.V.')",
        },
        {
            content: "Switch receiving on",
            trigger: ".modal .o_econnect_receive_prompt .o_data_row:first-child .o_field_boolean_toggle input",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".modal button[name='action_save']",
            run: "click",
        },
        {
            content: "The prompt is gone",
            trigger: "body:not(:has(.modal .o_econnect_receive_prompt))",
        },
    ],
});

// 2. Invoicing > Customers > Invoices: open Demo Klant B.V.'s invoice and send it.
tours.add("econnect_demo_send_tour", {
    steps: () => [
        {
            content: "Open the invoice of Demo Klant B.V.",
            trigger: ".o_list_view .o_data_row:contains('Demo Klant B.V.'):not(:contains('RINV')) .o_data_cell[name='invoice_partner_display_name']",
            run: "click",
        },
        {
            content: "Click Send via eConnect",
            trigger: ".o_form_view button[name='action_econnect_send']",
            run: "click",
        },
        {
            content: "The invoice is Sent",
            trigger: ".o_form_view .o_field_widget[name='econnect_state'] span:contains('Sent')",
        },
    ],
});

// 3. The Invoicing dashboard: Refresh eConnect statuses, then the invoice is Delivered.
tours.add("econnect_demo_delivered_tour", {
    steps: () => [
        {
            content: "Refresh eConnect statuses on the Customer Invoices journal",
            trigger: ".o_kanban_record:contains('Customer Invoices') button[name='action_econnect_refresh_statuses']",
            run: "click",
        },
        {
            content: "eConnect says how many invoices changed",
            trigger: ".o_notification:contains('eConnect')",
        },
        {
            content: "Open the journal's invoices",
            trigger: ".o_kanban_record:contains('Customer Invoices') a.oe_kanban_action:contains('Customer Invoices'), .o_kanban_record:contains('Customer Invoices') .o_kanban_card_header_title a, .o_kanban_record:contains('Customer Invoices') a:contains('Customer Invoices')",
            run: "click",
        },
        {
            content: "Demo Klant B.V.'s invoice is Delivered",
            trigger: ".o_list_view .o_data_row:contains('Demo Klant B.V.') .o_field_widget[name='econnect_state'] span:contains('Delivered')",
        },
    ],
});

// 4. Vendors > Bills: the bill of Drukkerij Oud Tarief B.V. does not match its e-invoice, on purpose.
tours.add("econnect_demo_received_bill_tour", {
    steps: () => [
        {
            content: "Open the bill of Drukkerij Oud Tarief B.V.",
            trigger: ".o_list_view .o_data_row:contains('Drukkerij Oud Tarief B.V.') .o_data_cell[name='invoice_partner_display_name']",
            run: "click",
        },
        {
            content: "The check says the bill does not match the e-invoice",
            trigger: ".o_form_view .o_field_widget[name='econnect_import_issue']:contains('does not match')",
        },
    ],
});

// 5. Settings > Invoicing > eConnect: switch receiving off and on again (each Save reloads the page).
function saveAndWaitForTheReload(what) {
    return [
        {
            content: `Save (${what})`,
            trigger: ".o_form_button_save",
            run(helpers) {
                document.body.setAttribute("data-econnect-saving", "1");
                helpers.click();
            },
        },
        {
            content: "The settings are saved: the page was reloaded",
            trigger: "body:not([data-econnect-saving]) #econnect_receive_setting",
        },
    ];
}

tours.add("econnect_demo_settings_tour", {
    steps: () => [
        {
            content: "The eConnect block shows the company active",
            trigger: "#econnect_connection .o_field_widget[name='econnect_state'] span:contains('Active')",
        },
        {
            content: "Switch receiving off",
            trigger: "#econnect_receive_setting .o_field_widget[name='econnect_receive'] input:checked",
            run: "click",
        },
        ...saveAndWaitForTheReload("receiving off"),
        {
            content: "Receiving is off; switch it on again",
            trigger: "#econnect_receive_setting .o_field_widget[name='econnect_receive'] input:not(:checked)",
            run: "click",
        },
        {
            content: "Odoo warns that receiving costs money",
            trigger: ".modal:contains('Receiving costs money') button:contains('Close')",
            run: "click",
        },
        {
            content: "The warning is closed",
            trigger: "body:not(:has(.modal))",
        },
        ...saveAndWaitForTheReload("receiving on"),
        {
            content: "Receiving is on",
            trigger: "#econnect_receive_setting .o_field_widget[name='econnect_receive'] input:checked",
        },
    ],
});
