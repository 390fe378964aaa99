# pylint: disable=print-used,except-pass
"""Command line: ``python3 -m psb_simulator --port 8070 [--demo] [--latency 0.05]``.

Serves until Ctrl-C, on loopback only. Without ``--demo`` add accounts with ``--client`` / ``--user`` (or
later via the control API, ``POST /_sim/users``). The control API's token comes from ``PSB_SIMULATOR_TOKEN``,
else from ``--token-file`` (created, mode 0600, when missing), else it is random and unknown to anyone.
``--state-file`` keeps everything across restarts.
"""

import argparse
import os
import secrets
import signal
import sys
import threading

from . import PSBSimulator
from .persist import write_private
from .remote import TOKEN_ENV, read_token


def _pair(text):
    name, sep, secret = text.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected NAME:SECRET")
    return name, secret


def build_parser():
    parser = argparse.ArgumentParser(prog="psb-simulator", description="Simulated eConnect PSB REST API.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8070, help="port (default 8070; 0 = any free port)")
    parser.add_argument("--demo", action="store_true", help="accept any credentials and any party")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API call")
    parser.add_argument("--delivery-delay", type=float, default=0.05, help="seconds until a send is delivered")
    parser.add_argument("--token-lifetime", type=float, default=3600, help="access token lifetime (s)")
    parser.add_argument(
        "--client",
        action="append",
        type=_pair,
        default=[],
        metavar="ID:SECRET",
        help="add an API client (repeatable)",
    )
    parser.add_argument(
        "--user",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME:PASSWORD",
        help="add a user allowed on every --party (repeatable)",
    )
    parser.add_argument(
        "--party",
        action="append",
        default=[],
        metavar="PARTY[=NAME]",
        help="a party of the users/clients (in demo: shown by me/party from the start)",
    )
    parser.add_argument(
        "--participant",
        action="append",
        default=[],
        metavar="PARTY[=NAME]",
        help="register a receiver on the simulated Peppol network (repeatable)",
    )
    parser.add_argument(
        "--token-file", metavar="PATH", help="file holding the control API's token (created, mode 0600, if missing)"
    )
    parser.add_argument("--state-file", metavar="PATH", help="keep the simulator's state in this file (JSON)")
    parser.add_argument("--webhook-attempts", type=int, default=None, help="delivery attempts per webhook event")
    parser.add_argument("--webhook-backoff", type=float, default=None, help="seconds before the first retry")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every request to stderr")
    return parser


def _split_named(text):
    party, _, name = text.partition("=")
    return party.strip(), name.strip() or None


def control_token(token_file):
    """The token of ``$PSB_SIMULATOR_TOKEN`` or of ``token_file`` (made when missing), else a random one."""
    token = read_token(token_file=token_file)
    if token:
        return token
    token = secrets.token_urlsafe(32)
    if token_file:
        write_private(token_file, token + "\n")
    return token


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        sim = PSBSimulator(
            host=args.host,
            port=args.port,
            demo=args.demo,
            latency=args.latency,
            delivery_delay=args.delivery_delay,
            token_lifetime=args.token_lifetime,
            verbose=args.verbose,
            control_token=control_token(args.token_file),
            state_file=args.state_file,
        )
    except ValueError as exc:
        print("psb-simulator: %s" % exc, file=sys.stderr)
        return 2
    if args.webhook_attempts is not None:
        sim.webhook_attempts = args.webhook_attempts
    if args.webhook_backoff is not None:
        sim.webhook_backoff = args.webhook_backoff
    parties = dict(_split_named(p) for p in args.party)
    names = {p: n for p, n in parties.items() if n}
    for client_id, secret in args.client:
        sim.add_client(client_id, secret, parties=list(parties), names=names)
    for username, password in args.user:
        sim.add_user(username, password, parties=list(parties), names=names)
    if args.demo:
        for party, name in parties.items():
            sim.add_demo_party(party, name)
    for text in args.participant:
        party, name = _split_named(text)
        sim.add_participant(party, name=name or "")
    try:
        sim.start()
    except OSError as exc:
        print("psb-simulator: cannot listen on %s:%s: %s" % (args.host, args.port, exc), file=sys.stderr)
        return 2
    print("PSB simulator%s listening" % (" (demo mode)" if sim.demo else ""))
    print("  API URL:       %s" % sim.api_url)
    print("  identity URL:  %s   (token: %s)" % (sim.identity_url, sim.token_url))
    print("  control API:   %s/health" % sim.control_url)
    if os.environ.get(TOKEN_ENV):
        print("  control token: from $%s" % TOKEN_ENV)
    elif args.token_file:
        print("  control token: in %s" % args.token_file)
    if args.state_file:
        print("  state file:    %s" % args.state_file)
    if sim.demo:
        print("  any client id/secret and username/password are accepted; demo receivers:")
        for party in sorted(sim.participants):
            print("    %s  %s" % (party, sim.participants[party].name))
    print("Press Ctrl-C to stop.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    print("PSB simulator stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
