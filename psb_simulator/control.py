"""The control API under ``/_sim/``: drive a simulator running in another process.

Python wrapper: :class:`psb_simulator.remote.RemoteSimulator`. The simulator answers loopback clients only.
Every control call sends the simulator's control token in ``X-Sim-Token`` (401 otherwise;
``PSBSimulator.control_token``; the command line reads it from ``PSB_SIMULATOR_TOKEN`` or keeps it in a
0600 file, ``--token-file``), except the two that reveal nothing: ``GET /_sim/health`` and, in demo mode,
``POST /_sim/demo-parties`` (the demo account takes on a party, as the addon's Demo environment asks on
activation). Hooks are listed without their webhook secrets. JSON in, JSON out; never logged, never
delayed, never affected by faults. Routes::

    GET    /_sim/health                    {"ok", "demo", "apiUrl", "identityUrl", "settings"}
    GET    /_sim/settings                  {"latency", "deliveryDelay", "retryDelay", "tokenLifetime",
    PUT    /_sim/settings                   "webhookAttempts", "webhookBackoff", "webhookTimeout",
                                            "loopback", "statusForm", "responseEventShape" ("new"|"old"),
                                            "responseEventDetails" (true|false|null), "demoAnswers",
                                            "demoAnswerDelay"}
    GET    /_sim/latency | PUT {"seconds"}   shortcut for settings.latency
    POST   /_sim/incoming?party=&documentId=&sender=    body: the XML            -> {"id"}
           (or a JSON body {"party", "xml", "documentId", "sender"})
    POST   /_sim/incoming/sample  {"party", "sender"?, "senderName"?, "receiverName"?, "number"?, "amount"?,
                                   "vatPercent"?, "creditNote"?, "documentId"?} -> {"id"}
    POST   /_sim/invoice-response {"party", "documentId", "status", "reasons"?, "actions"?, "note"?,
                                   "responseDocumentId"?, "sender"?, "shape"? ("new"|"old"),
                                   "details"? (true|false)}                      -> {"id"}
           (a customer answers any sent invoice: "documentId" is the sent invoice's id)
    POST   /_sim/events  {"party", "topic", "documentId"?, "message"?, "details"?, "responseDocumentId"?,
                          "refToDocumentId"?}
    GET    /_sim/events
    GET    /_sim/faults | DELETE /_sim/faults (clear)
    POST   /_sim/faults  {"kind": "fail"|"rate_limit"|"slow"|"drop", "n", "status"?, "retryAfter"?,
                          "seconds"?, "pathContains"?}
    POST   /_sim/faults/expire-tokens
    GET    /_sim/requests[?body=1&pathContains=..] | DELETE /_sim/requests
    GET    /_sim/documents | /_sim/documents/{id} | /_sim/documents/{id}/xml   (sent documents)
    GET    /_sim/received  | /_sim/received/{id}  | /_sim/received/{id}/xml   (inboxes)
    GET    /_sim/responses                                   (invoice responses our parties posted)
    GET    /_sim/participants | POST {"id", "name"?, "channel"?, "description"?, "invoiceResponse"?} (or a list)
    DELETE /_sim/participants/{id}
    POST   /_sim/delivery-outcome {"receiver", "outcome": "sent"|"retry"|"error"|null, "message"?,
                                   "retries"?, "then"?, "status"?: "Failed"|"Rejected"}
    GET    /_sim/hooks
    GET    /_sim/webhooks | DELETE /_sim/webhooks | POST /_sim/webhooks/pause | POST /_sim/webhooks/resume
    POST   /_sim/webhooks/wait {"count"?, "timeout"?, "topic"?}
                                            -> the finished deliveries (408 on timeout)
    POST   /_sim/users   {"username", "password", "parties"?, "names"?}
    POST   /_sim/clients {"clientId", "secret", "parties"?, "names"?}
    POST   /_sim/demo-parties {"party", "name"?}
    GET    /_sim/peppol-config                        {"configs": {id: config}, "writes", "deletions"}
    POST   /_sim/config-refusals {"party", "code"?, "message"?, "status"?}
    DELETE /_sim/config-refusals/{party}
"""

import json

from . import ids, ubl
from .core import RESPONSE_EVENT_SHAPES
from .faults import KINDS
from .wire import ApiError, Reply, empty_reply, json_reply

TOKEN_HEADER = "X-Sim-Token"  # noqa: S105 (a header name)


def open_route(sim, method, segments):
    """The control calls that need no token: they reveal nothing and change nothing that matters."""
    head = segments[0] if segments else "health"
    if head == "health" and method == "GET" and len(segments) <= 1:
        return True
    return sim.demo and head == "demo-parties" and method == "POST" and len(segments) == 1


def _hook_dict(hook):
    data = dict(hook.as_dict(), partyId=ids.letter(hook.party) if hook.party else None)
    data["action"] = hook.url  # the webhook secret after the '#' stays with its owner
    data["hasSecret"] = bool(hook.secret)
    return data


def _body(req):
    if not req.body.strip():
        return {}
    try:
        return json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "The body is not JSON.") from None


def _need(data, *names):
    for name in names:
        if data.get(name) in (None, ""):
            raise ApiError(400, "%s is required." % name)


def _value_error(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def settings(sim):
    return {
        "latency": sim.latency,
        "deliveryDelay": sim.delivery_delay,
        "retryDelay": sim.retry_delay,
        "tokenLifetime": sim.token_lifetime,
        "webhookAttempts": sim.webhook_attempts,
        "webhookBackoff": sim.webhook_backoff,
        "webhookTimeout": sim.webhook_timeout,
        "loopback": sim.loopback,
        "statusForm": sim.status_form,
        "responseEventShape": sim.response_event_shape,
        "responseEventDetails": sim.response_event_details,
        "demoAnswers": sim.demo_answers,
        "demoAnswerDelay": sim.demo_answer_delay,
    }


def _shape(value):
    if value not in RESPONSE_EVENT_SHAPES:
        raise ValueError("responseEventShape must be one of %s." % ", ".join(RESPONSE_EVENT_SHAPES))
    return value


_SETTERS = {
    "latency": ("latency", float),
    "deliveryDelay": ("delivery_delay", float),
    "retryDelay": ("retry_delay", lambda v: None if v is None else float(v)),
    "tokenLifetime": ("token_lifetime", float),
    "webhookAttempts": ("webhook_attempts", int),
    "webhookBackoff": ("webhook_backoff", float),
    "webhookTimeout": ("webhook_timeout", float),
    "loopback": ("loopback", bool),
    "statusForm": ("status_form", str),
    "responseEventShape": ("response_event_shape", _shape),
    "responseEventDetails": ("response_event_details", lambda v: None if v is None else bool(v)),
    "demoAnswers": ("demo_answers", bool),
    "demoAnswerDelay": ("demo_answer_delay", float),
}


def _delivery_dict(delivery):
    return delivery.as_dict()


def _event_dict(event):
    return {
        "id": event.id,
        "topic": event.topic,
        "partyId": ids.letter(event.party) if event.party else None,
        "documentId": event.document_id,
        "message": event.message,
        "details": event.details,
        "responseDocumentId": event.response_document_id,
        "refToDocumentId": event.ref_to_document_id,
        "createdOn": event.created_on,
    }


def handle(sim, method, segments, query, headers, body):
    """Answer one control request; ``segments`` are the decoded path parts after ``/_sim/``."""
    req = type("ControlRequest", (), {"body": body})()
    route = "/".join(segments[:2]) if segments else "health"
    rest = segments[2:] if len(segments) > 2 else []
    head = segments[0] if segments else "health"
    arg = segments[1] if len(segments) > 1 else None
    st = sim.state

    if head == "health" and method == "GET":
        return json_reply(
            {
                "ok": True,
                "demo": sim.demo,
                "apiUrl": sim.api_url,
                "identityUrl": sim.identity_url,
                "settings": settings(sim),
            }
        )

    if head == "settings" or head == "latency":
        if method == "PUT" or method == "POST":
            data = _body(req)
            if head == "latency":
                data = {"latency": data.get("seconds", data.get("latency"))}
            for name, value in data.items():
                if name not in _SETTERS:
                    raise ApiError(400, "Unknown setting %r." % name)
                attr, convert = _SETTERS[name]
                _value_error(lambda a=attr, c=convert, v=value: setattr(sim, a, c(v)))
        elif method != "GET":
            raise ApiError(405, "Use GET or PUT.")
        if head == "latency":
            return json_reply({"seconds": sim.latency})
        return json_reply(settings(sim))

    if head == "incoming" and method == "POST":
        if arg == "sample":
            data = _body(req)
            _need(data, "party")
            sender = data.get("sender") or "0106:87654321"
            xml = _value_error(
                ubl.sample_invoice,
                sender,
                data["party"],
                number=data.get("number") or "DEMO-0001",
                sender_name=data.get("senderName") or st.name_of(ids.key(sender) or sender),
                receiver_name=data.get("receiverName") or st.name_of(ids.key(data["party"]) or data["party"]),
                amount=data.get("amount") or "100.00",
                vat_percent=data.get("vatPercent") or "21",
                credit_note=bool(data.get("creditNote")),
                **({"iban": data["iban"]} if data.get("iban") else {}),
            )
            doc_id = _value_error(sim.inject_incoming, data["party"], xml, data.get("documentId"), sender)
            return json_reply({"id": doc_id})
        content_type = (headers.get("Content-Type") or "").lower()
        if "json" in content_type:
            data = _body(req)
            _need(data, "party", "xml")
            party, xml, doc_id, sender = (
                data["party"],
                data["xml"],
                data.get("documentId"),
                data.get("sender"),
            )
        else:
            party, xml, doc_id, sender = (
                query.get("party"),
                body,
                query.get("documentId"),
                query.get("sender"),
            )
            if not party:
                raise ApiError(400, "party is required (query parameter).")
        return json_reply({"id": _value_error(sim.inject_incoming, party, xml, doc_id, sender)})

    if head == "invoice-response" and method == "POST":
        data = _body(req)
        _need(data, "party", "documentId", "status")
        response_id = _value_error(
            sim.inject_invoice_response,
            data["party"],
            data["documentId"],
            data["status"],
            reasons=data.get("reasons"),
            actions=data.get("actions"),
            note=data.get("note"),
            document_id=data.get("responseDocumentId"),
            sender_id=data.get("sender"),
            shape=data.get("shape"),
            details=data.get("details"),
        )
        return json_reply({"id": response_id})

    if head == "events":
        if method == "POST":
            data = _body(req)
            _need(data, "party", "topic")
            event = _value_error(
                sim.emit_event,
                data["party"],
                data["topic"],
                data.get("documentId"),
                data.get("message") or "",
                data.get("details"),
                data.get("responseDocumentId"),
                data.get("refToDocumentId"),
            )
            return json_reply(_event_dict(event))
        if method == "GET":
            return json_reply([_event_dict(e) for e in sim.events])

    if head == "faults":
        if arg == "expire-tokens" and method == "POST":
            sim.faults.expire_tokens()
            return json_reply({"ok": True})
        if arg is None and method == "GET":
            return json_reply([r.as_dict() for r in sim.faults.pending])
        if arg is None and method == "DELETE":
            sim.faults.clear()
            return empty_reply()
        if arg is None and method == "POST":
            data = _body(req)
            if data.get("kind") not in KINDS:
                raise ApiError(400, "kind must be one of %s." % ", ".join(KINDS))
            params = {}
            for src, dst in (
                ("status", "status"),
                ("retryAfter", "retry_after"),
                ("retry_after", "retry_after"),
                ("seconds", "seconds"),
            ):
                if data.get(src) is not None:
                    params[dst] = data[src]
            rule = _value_error(
                sim.faults.arm,
                data["kind"],
                int(data.get("n", 1)),
                data.get("pathContains", data.get("path_contains")),
                **params,
            )
            return json_reply(rule.as_dict())

    if head == "requests":
        if method == "DELETE":
            sim.clear_log()
            return empty_reply()
        if method == "GET":
            with_body = query.get("body") in ("1", "true", "yes")
            entries = sim.requests
            if query.get("pathContains"):
                entries = [e for e in entries if query["pathContains"] in e.path]
            return json_reply([e.as_dict(with_body) for e in entries])

    if head in ("documents", "received") and method == "GET":
        table = sim.sent_documents if head == "documents" else sim.received_documents
        with st.lock:
            if arg is None:
                return json_reply([d.as_dict() for d in table.values()])
            doc = table.get(arg)
            if doc is None:
                raise ApiError(404, "No document %r." % arg)
            if rest == ["xml"]:
                return Reply(200, doc.xml, "application/xml")
            return json_reply(doc.as_dict(with_xml=True))

    if head == "responses" and method == "GET":
        return json_reply([r.as_dict() for r in sim.invoice_responses])

    if head == "participants":
        if method == "GET":
            return json_reply(
                [dict(p.as_dict(), name=p.name, receiving=p.receiving) for p in sim.participants.values()]
            )
        if method == "POST":
            data = _body(req)
            items = data if isinstance(data, list) else [data]
            added = []
            for item in items:
                if not isinstance(item, dict):
                    raise ApiError(400, "A participant is an object {id, name?, channel?, description?}.")
                _need(item, "id")
                key = _value_error(
                    sim.add_participant,
                    item["id"],
                    item.get("name") or "",
                    item.get("channel") or "peppol",
                    item.get("description"),
                    item.get("invoiceResponse", True),
                )
                added.append(ids.letter(key))
            return json_reply({"ids": added})
        if method == "DELETE" and arg:
            _value_error(sim.remove_participant, arg)
            return empty_reply()

    if head == "delivery-outcome" and method in ("POST", "PUT"):
        data = _body(req)
        _need(data, "receiver")
        _value_error(
            sim.set_delivery_outcome,
            data["receiver"],
            data.get("outcome"),
            data.get("message"),
            int(data.get("retries", 1)),
            data.get("then") or "sent",
            data.get("status"),
        )
        return json_reply({"ok": True})

    if head == "hooks" and method == "GET":
        return json_reply([_hook_dict(h) for h in sim.hooks])

    if head == "webhooks":
        if arg is None and method == "GET":
            return json_reply([_delivery_dict(d) for d in sim.webhook_deliveries])
        if arg is None and method == "DELETE":
            sim.clear_webhook_deliveries()
            return empty_reply()
        if arg == "pause" and method == "POST":
            sim.pause_webhooks()
            return json_reply({"paused": True})
        if arg == "resume" and method == "POST":
            sim.resume_webhooks()
            return json_reply({"paused": False})
        if arg == "wait" and method == "POST":
            data = _body(req)
            try:
                found = sim.wait_for_deliveries(data.get("count"), float(data.get("timeout", 5)), data.get("topic"))
            except TimeoutError as exc:
                raise ApiError(408, str(exc)) from None
            return json_reply([_delivery_dict(d) for d in found])

    if head in ("users", "clients") and method == "POST":
        data = _body(req)
        if head == "users":
            _need(data, "username", "password")
            _value_error(sim.add_user, data["username"], data["password"], data.get("parties"), data.get("names"))
        else:
            _need(data, "clientId", "secret")
            _value_error(sim.add_client, data["clientId"], data["secret"], data.get("parties"), data.get("names"))
        return json_reply({"ok": True})

    if head == "demo-parties" and method == "POST":
        data = _body(req)
        _need(data, "party")
        _value_error(sim.add_demo_party, data["party"], data.get("name"))
        return json_reply({"ok": True})

    if head == "peppol-config" and method == "GET":
        with st.lock:
            configs = {ids.letter(k): st.render_config(k) for k in st.peppol_configs}
        return json_reply({"configs": configs, "writes": sim.config_writes, "deletions": sim.config_deletions})

    if head == "config-refusals":
        if method == "POST":
            data = _body(req)
            _need(data, "party")
            _value_error(
                sim.refuse_config_changes,
                data["party"],
                data.get("code") or "API400",
                data.get("message") or "The configuration change was refused.",
                data.get("status"),
            )
            return json_reply({"ok": True})
        if method == "DELETE" and arg:
            _value_error(sim.allow_config_changes, arg)
            return empty_reply()

    raise ApiError(404, "No control route %s /_sim/%s." % (method, route + ("/" + "/".join(rest) if rest else "")))
