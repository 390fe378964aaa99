"""The one place that turns PSB errors into messages for users, in the user's language.

The framework-free client gives every error a stable ``kind``; this module maps each kind to a
translatable sentence and adds what eConnect said (its code, message and request id), so support can
find the call in eConnect's logs.
"""

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate("econnect_odoo")

KIND_MESSAGES = {
    "authentication": _lt(
        "eConnect refused the credentials. Check the client id, client secret, user name and password of the "
        "eConnect connection (acceptance and production need different credentials)."
    ),
    "forbidden": _lt(
        "eConnect refused the request: these credentials may not act for this party id, or the party lacks "
        "the permission. Check the party id, or ask eConnect to grant the permission."
    ),
    "not_found": _lt("eConnect does not know this party or document."),
    "already_sent": _lt("eConnect already has this document: it was sent before."),
    "temporary": _lt(
        "eConnect is temporarily unavailable or busy. Nothing was lost; Odoo will try again later."
    ),
    "network": _lt(
        "Odoo could not reach eConnect (network error or timeout). Check the server's internet access; "
        "Odoo will try again later."
    ),
    "tls": _lt(
        "The secure connection to eConnect failed: its certificate could not be verified. Check the URL of "
        "the connection and the server's certificate store."
    ),
    "payment_required": _lt(
        "eConnect refused the request because the prepaid balance of the eConnect account is used up. "
        "Top up the balance on the eConnect platform."
    ),
    "invalid_response": _lt("eConnect answered something Odoo did not understand."),
    "rejected": _lt("eConnect rejected the request as invalid."),
    "error": _lt("An error occurred while talking to eConnect."),
    "configuration": _lt("The eConnect connection is not configured correctly."),
}


def user_message(env, error):
    """A sentence for a user about a PSB error (``psb.errors.PSBError`` or any exception)."""
    kind = getattr(error, "kind", None)
    base = KIND_MESSAGES.get(kind)
    if base is None:
        text = env._("Unexpected error while talking to eConnect: %s", error)
    else:
        translate = env._  # a lazy text: translated here (its term is extracted where it is defined)
        text = translate(base)
    details = []
    remote_message = getattr(error, "message", None)
    if remote_message and remote_message != getattr(error, "user_message", None):
        details.append(remote_message)
    if getattr(error, "code", None):
        details.append(env._("code %s", error.code))
    if getattr(error, "request_id", None):
        details.append(env._("request %s", error.request_id))
    if details:
        text = f"{text} ({'; '.join(str(d) for d in details)})"
    return text
