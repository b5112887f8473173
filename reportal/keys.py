"""The `reportal keys …` subcommands (registered by `reportal.cli`): the hotline's age identities.

An identity file stays on the hotline's premises (mode 0600); only its recipients go into
`sites/_defaults.yaml` and so to the function. Errors name files, never key material.
See docs/keys.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_IDENTITY", "add_commands"]

DEFAULT_IDENTITY = "var/keys/dev.key"


def _error(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _keys_generate(args: argparse.Namespace) -> int:
    from reportal.envelope import generate_identity

    try:
        recipient = generate_identity(Path(args.out))
    except FileExistsError:
        return _error(f"{args.out} exists; to add a key to it run: reportal keys rotate --identity {args.out}")
    print(recipient)
    print(f"identity written to {args.out} (mode 0600). Add the recipient above to `recipients` in "
          "sites/_defaults.yaml; never copy the identity file to the function. See docs/keys.md.", file=sys.stderr)
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    from reportal.envelope import EnvelopeError, add_identity

    try:
        recipient = add_identity(Path(args.identity))
    except (EnvelopeError, FileNotFoundError) as exc:
        return _error(str(exc))
    print(recipient)
    print(f"new identity added to {args.identity}; older ones kept so queued reports still open. Add the "
          "recipient above to `recipients`, rebuild and deploy; remove the old recipient later (docs/keys.md).",
          file=sys.stderr)
    return 0


def _keys_recipients(args: argparse.Namespace) -> int:
    from reportal.envelope import EnvelopeError, recipients_of

    try:
        for path in args.identity or [DEFAULT_IDENTITY]:
            print("\n".join(recipients_of(Path(path))))
    except (EnvelopeError, FileNotFoundError) as exc:
        return _error(str(exc))
    return 0


def add_commands(sub: Any) -> None:
    """Register `keys {generate,rotate,recipients}` on the subparsers action `sub` of the
    `reportal` parser."""
    keys = sub.add_parser("keys", help="age keys").add_subparsers(dest="keys_command", required=True)
    p = keys.add_parser("generate", help="write a new age identity (mode 0600) and print its recipient")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_keys_generate)
    p = keys.add_parser("rotate", help="add a new identity to an identity file, keeping the old ones")
    p.add_argument("--identity", default=DEFAULT_IDENTITY)
    p.set_defaults(func=_keys_rotate)
    p = keys.add_parser("recipients", help="print the recipient of every identity in a file")
    p.add_argument("--identity", action="append", help=f"identity file (repeatable; default {DEFAULT_IDENTITY})")
    p.set_defaults(func=_keys_recipients)
