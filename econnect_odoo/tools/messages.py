"""The one place of the addon's message tables: what users are told, in their language, about

* a PSB error (:func:`user_message`): the framework-free client gives every error a stable ``kind``; it is mapped
  to a translatable sentence, with what eConnect said (its code, message and request id), so that support can find
  the call in eConnect's logs;
* a received document that could not be read (:func:`document_problem`, by the parser's ``reason``);
* a party id that is not valid (:func:`party_reason`, by ``psb.party.InvalidPartyId.reason``).

The ``psb`` package carries codes and technical English only; every sentence a user reads is here.
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


DOCUMENT_PROBLEMS = {
    "dtd": _lt(
        "it declares a DTD or entities (<!DOCTYPE / <!ENTITY>), which e-invoices never need and which can be used "
        "to read the server's files or exhaust its memory. It was not opened."
    ),
    "too_large": _lt("it is larger than the limit for received documents. It was not opened."),
    "too_complex": _lt(
        "it has more elements, or more attributes on one element, than any e-invoice needs (which can be used to "
        "keep the server busy for minutes). It was not opened."
    ),
    "empty": _lt("the file is empty."),
    "syntax": _lt("it is not well-formed XML."),
    "not_response": _lt("it is not an invoice response (UBL ApplicationResponse)."),
    "no_status": _lt("the invoice response has no status."),
}

PARTY_REASONS = {
    "missing": _lt("no Peppol e-address (EAS) and endpoint"),
    "format": _lt("wrong format"),
    "length": _lt("wrong length"),
    "checksum": _lt("wrong check digit"),
    "unknown_scheme": _lt("unknown scheme"),
    "deprecated_scheme": _lt("scheme no longer allowed on Peppol"),
}


def _words(env, table, key):
    """The sentence of ``key`` in ``table``, in the user's language, or None."""
    text = table.get(key)
    translate = env._  # a lazy text: translated here (its term is extracted where it is defined)
    return translate(text) if text else None


def document_problem(env, error):
    """A sentence about a document that could not be read (``received_document.DocumentError``), with the
    parser's own detail when it gave one (line and column of the fault)."""
    text = _words(env, DOCUMENT_PROBLEMS, getattr(error, "reason", None))
    if not text:
        return str(error)
    detail = getattr(error, "detail", None)
    return f"{text} ({detail})" if detail else text


def party_reason(env, error):
    """A few words on why a party id is not valid (``psb.party.InvalidPartyId``)."""
    return _words(env, PARTY_REASONS, getattr(error, "reason", None)) or env._("not valid")


def user_message(env, error):
    """A sentence for a user about a PSB error (``psb.errors.PSBError`` or any exception)."""
    text = _words(env, KIND_MESSAGES, getattr(error, "kind", None))
    if text is None:
        text = env._("Unexpected error while talking to eConnect: %s", error)
    details = []
    remote_message = getattr(error, "message", None)
    if remote_message:
        details.append(remote_message)
    if getattr(error, "code", None):
        details.append(env._("code %s", error.code))
    if getattr(error, "request_id", None):
        details.append(env._("request %s", error.request_id))
    if details:
        text = f"{text} ({'; '.join(str(d) for d in details)})"
    return text
