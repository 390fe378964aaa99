/** @odoo-module **/
/**
 * A user adds an additional e-mail address in their Preferences dialog (tab eConnect), then opens the
 * verification link Odoo mailed (the test hands it over between the two tours) and sees it verified.
 */
import { registry } from "@web/core/registry";

const ADDRESS = "second.address@econnect-company.example";

function openPreferences() {
    return [
        {
            content: "Open the user menu",
            trigger: ".o_user_menu button",
            run: "click",
        },
        {
            content: "Open the Preferences dialog",
            trigger: "[data-menu=settings]",
            run: "click",
        },
        {
            content: "Open its eConnect tab",
            trigger: ".modal .o_notebook_headers a:contains(eConnect)",
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("econnect_add_email_tour", {
    steps: () => [
        ...openPreferences(),
        {
            content: "Also get an e-mail when an invoice I sent was delivered",
            trigger: ".modal div[name=econnect_notify_sent_delivered] input",
            run: "click",
        },
        {
            content: "Add an address",
            trigger: ".modal div[name=econnect_email_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Type the address",
            trigger: ".modal div[name=econnect_email_ids] .o_data_row div[name=email] input",
            run: `edit ${ADDRESS}`,
        },
        {
            content: "Save the preferences",
            trigger: ".modal button[name=preference_save]",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(.modal-open)",
        },
        ...openPreferences(),
        {
            content: "The address awaits its verification",
            trigger: `.modal div[name=econnect_email_ids] .o_data_row:contains(${ADDRESS}):contains(Awaiting verification)`,
        },
        {
            content: "The new preference is kept",
            trigger: ".modal div[name=econnect_notify_sent_delivered] input:checked",
        },
        {
            content: "Close the dialog",
            trigger: ".modal button[name=preference_cancel]",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(.modal-open)",
        },
    ],
});

registry.category("web_tour.tours").add("econnect_verify_email_tour", {
    steps: () => [
        {
            content: "The verification link confirms the address",
            trigger: `.o_econnect_result_verified:contains(${ADDRESS})`,
        },
        {
            content: "Back to Odoo",
            trigger: "a.o_econnect_back_to_odoo",
            run: "click",
        },
        ...openPreferences(),
        {
            content: "The Preferences show the address as verified",
            trigger: `.modal div[name=econnect_email_ids] .o_data_row:contains(${ADDRESS}):contains(Verified)`,
        },
        {
            content: "Close the dialog",
            trigger: ".modal button[name=preference_cancel]",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(.modal-open)",
        },
    ],
});
