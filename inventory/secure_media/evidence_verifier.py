#!/usr/bin/env python3
"""Verify a Spareline evidence pack offline.

    python verify_pack.py PACK.zip [--public-key KEY] [--mac-key HEX]

Needs Python 3.11+ and the ``cryptography`` package, nothing else. It checks, and names every file that
fails:

1. ``manifest.json`` is signed (``manifest.sig``, Ed25519) by the audit key. Give the key you trust with
   ``--public-key`` (a PEM file, or 64 hex characters: the ``public_key`` of the service's
   ``GET /api/v1/audit/checkpoints``); without it the pack's own ``public_key.pem`` is used, which
   proves only that the pack is intact, not who made it.
2. Every file has the SHA-256 the manifest lists, and no file is missing or added.
3. ``chain/entries.jsonl`` is an unbroken piece of the audit chain: each entry's hash is recomputed from
   its content and links to the one before it; with ``--mac-key`` (the chain's MAC key, hex) each keyed
   MAC is checked too.
4. ``chain/checkpoints.json``: each checkpoint's signature verifies with the audit key, and the entry it
   names has the hash it signed: the entries up to it are the ones the service had signed.
5. Each ``records/<id>/record.json`` says what the chain recorded: its creation, every event with its
   details, and every document, whose file has the SHA-256 the chain recorded.

Exit status 0 when everything verifies, 1 when something does not (each problem on its own line), 2 when
the pack cannot be read at all. A pack made before any checkpoint was signed after its records' last entry
verifies on the manifest's signature alone, and the verifier says so in a note: ask for a pack again once
a checkpoint covers them.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import zipfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DOMAIN = "spareline-audit-v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
ENTRIES = "chain/entries.jsonl"
CHECKPOINTS = "chain/checkpoints.json"
UNLISTED = {MANIFEST, SIGNATURE}


def entry_hash(entry: dict) -> str:
    """The SHA-256 an audit entry commits to (as the service computes it)."""
    fields = (DOMAIN, str(entry["seq"]), entry["prev_hash"], entry["at"], entry["actor"], entry["action"],
              entry["subject"], entry["payload"])  # fmt: skip
    return hashlib.sha256("\x00".join(fields).encode()).hexdigest()


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def load_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text or 64 hex characters."""
    text = text.strip()
    if text.startswith("-----"):  # PEM
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))


def signed(key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        key.verify(bytes.fromhex(signature_hex.strip()), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(pack: Path, *, trusted_key: str | None = None, mac_key: bytes | None = None) -> list[str]:
    """Every problem of the pack, each naming its file; none: the pack verifies."""
    with zipfile.ZipFile(pack) as archive:
        files = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    problems: list[str] = []
    key = _audit_key(files, trusted_key, problems)
    manifest = _manifest(files, key, problems)
    if manifest is None:
        return problems
    listed: dict[str, str] = manifest.get("files", {})
    for name, digest in sorted(listed.items()):
        if name not in files:
            problems.append(f"{name}: missing from the pack")
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            problems.append(f"{name}: altered (its SHA-256 is not the one the manifest lists)")
    for name in sorted(set(files) - set(listed) - UNLISTED):
        problems.append(f"{name}: not listed in the manifest (added to the pack)")
    entries = _entries(files, mac_key, problems)
    _checkpoints(files, key, entries, manifest, problems)
    for record in manifest.get("records", []):
        _record(files, record, entries, problems)
    return problems


def coverage_note(pack: Path) -> str | None:
    """A note when no signed checkpoint in the pack covers its chain entries (None when one does)."""
    with zipfile.ZipFile(pack) as archive:
        chain = json.loads(archive.read(MANIFEST)).get("chain") or {}
    if chain.get("covered") or chain.get("last_seq") is None:
        return None
    return (
        f"note: no signed checkpoint covers the chain entries up to {chain['last_seq']} yet; they are "
        "proven by the manifest's signature alone. Ask for the pack again after a checkpoint is signed."
    )


def _audit_key(files: dict[str, bytes], trusted: str | None, problems: list[str]) -> Ed25519PublicKey | None:
    packed = None
    try:
        packed = load_key(files[PUBLIC_KEY].decode())
    except KeyError:
        problems.append(f"{PUBLIC_KEY}: missing from the pack")
    except ValueError:
        problems.append(f"{PUBLIC_KEY}: altered (not a readable Ed25519 public key)")
    if trusted is None:
        return packed
    key = load_key(trusted)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    if packed is not None and packed.public_bytes(*raw) != key.public_bytes(*raw):
        problems.append(f"{PUBLIC_KEY}: not the audit key you trust")
    return key


def _manifest(files: dict[str, bytes], key: Ed25519PublicKey | None, problems: list[str]) -> dict | None:
    if MANIFEST not in files or SIGNATURE not in files:
        problems.append(f"{MANIFEST}: missing, or its signature {SIGNATURE} is")
        return None
    if key is not None and not signed(key, files[SIGNATURE].decode(errors="replace"), files[MANIFEST]):
        problems.append(
            f"{MANIFEST} or {SIGNATURE}: the manifest's signature does not verify with the audit key"
        )
    try:
        manifest = json.loads(files[MANIFEST])
    except ValueError:
        problems.append(f"{MANIFEST}: altered (not readable JSON)")
        return None
    return manifest if isinstance(manifest, dict) else None


def _entries(files: dict[str, bytes], mac_key: bytes | None, problems: list[str]) -> dict[int, dict]:
    entries: dict[int, dict] = {}
    previous: dict | None = None
    for number, line in enumerate(files.get(ENTRIES, b"").decode(errors="replace").splitlines(), 1):
        try:
            entry = json.loads(line)
            seq = int(entry["seq"])
            digest = entry_hash(entry)
        except (ValueError, KeyError, TypeError):
            problems.append(f"{ENTRIES}: line {number} is not a readable audit entry")
            previous = None
            continue
        if digest != entry.get("hash"):
            problems.append(f"{ENTRIES}: entry {seq}: its content does not match its hash")
        if previous is not None and (seq != previous["seq"] + 1 or entry["prev_hash"] != previous["hash"]):
            problems.append(f"{ENTRIES}: entry {seq} does not link to the entry before it")
        if mac_key is not None:
            expected = hmac.new(mac_key, str(entry.get("hash")).encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, str(entry.get("mac"))):
                problems.append(f"{ENTRIES}: entry {seq}: its MAC is wrong (not written with the audit key)")
        entries[seq] = entry
        previous = entry
    return entries


def _checkpoints(
    files: dict[str, bytes], key: Ed25519PublicKey | None, entries: dict[int, dict], manifest: dict,
    problems: list[str],
) -> None:  # fmt: skip
    try:
        checkpoints = json.loads(files.get(CHECKPOINTS, b"[]"))
    except ValueError:
        problems.append(f"{CHECKPOINTS}: altered (not readable JSON)")
        return
    for checkpoint in checkpoints:
        seq = checkpoint.get("seq")
        message = f"{DOMAIN}:checkpoint:{seq}:{checkpoint.get('hash')}:{checkpoint.get('at')}".encode()
        if key is not None and not signed(key, str(checkpoint.get("signature")), message):
            problems.append(f"{CHECKPOINTS}: the checkpoint at entry {seq} has an invalid signature")
        entry = entries.get(seq)
        if entry is None:
            problems.append(
                f"{ENTRIES}: the checkpoint at entry {seq} covers an entry the pack does not hold"
            )
        elif entry.get("hash") != checkpoint.get("hash"):
            problems.append(f"{ENTRIES}: entry {seq} differs from the signed checkpoint ({CHECKPOINTS})")
    wanted = (manifest.get("chain") or {}).get("checkpoint_seq")
    if wanted is not None and wanted not in {checkpoint.get("seq") for checkpoint in checkpoints}:
        problems.append(f"{CHECKPOINTS}: the checkpoint at entry {wanted} is missing")


def _record(files: dict[str, bytes], listed: dict, entries: dict[int, dict], problems: list[str]) -> None:
    path = listed.get("record", "")
    try:
        record = json.loads(files[path])
    except (KeyError, ValueError):
        problems.append(f"{path}: missing or not readable JSON")
        return
    subject = f"retention:{record.get('id')}"
    about = [entry for entry in entries.values() if entry.get("subject") == subject]
    payloads = {entry["seq"]: _payload(entry) for entry in about}
    created = [
        seq for seq, entry in zip(payloads, about, strict=True) if entry["action"] == "retention.created"
    ]
    if not created:
        problems.append(
            f"{path}: the chain in the pack does not hold the creation of record {record.get('id')}"
        )
    else:
        payload = payloads[created[0]]
        for name in ("ticket", "customer", "site", "part_number", "failed_serial", "media_type",
                     "classification_level", "custody", "depot"):  # fmt: skip
            if name in payload and payload[name] != record.get(name):
                problems.append(f"{path}: {name} is not what the chain recorded (entry {created[0]})")
    chained = {
        payload.get("event_id"): (seq, payload) for seq, payload in payloads.items() if "event_id" in payload
    }
    for event in record.get("events", []):
        found = chained.get(event.get("id"))
        if found is None:
            problems.append(f"{path}: event {event.get('id')} is not in the chain held by the pack")
        elif canonical(found[1].get("details")) != canonical(event.get("details")):
            problems.append(
                f"{path}: event {event.get('id')} is not what the chain recorded (entry {found[0]})"
            )
    recorded_hashes = {
        (payload.get("details") or {}).get("document", {}).get("sha256") for payload in payloads.values()
    }
    for document in listed.get("documents", []):
        name, digest = document.get("path", ""), document.get("sha256")
        if digest not in recorded_hashes:
            problems.append(
                f"{name}: its SHA-256 is not one the chain recorded for record {record.get('id')}"
            )
        elif name in files and hashlib.sha256(files[name]).hexdigest() != digest:
            problems.append(f"{name}: altered (not the document whose SHA-256 the chain recorded)")


def _payload(entry: dict) -> dict:
    try:
        payload = json.loads(entry.get("payload", ""))
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Spareline evidence pack offline.")
    parser.add_argument("pack", type=Path, help="the evidence pack (.zip)")
    parser.add_argument(
        "--public-key", help="the audit public key you trust: a PEM file or 64 hex characters"
    )
    parser.add_argument(
        "--mac-key", help="the audit chain's MAC key (64 hex characters), to check entry MACs"
    )
    args = parser.parse_args(argv)
    trusted = args.public_key
    if trusted is not None and Path(trusted).is_file():
        trusted = Path(trusted).read_text()
    try:
        problems = verify(
            args.pack, trusted_key=trusted, mac_key=bytes.fromhex(args.mac_key) if args.mac_key else None
        )
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        sys.stderr.write(f"cannot read the pack: {exc}\n")
        return 2
    for problem in problems:
        sys.stdout.write(f"{problem}\n")
    if not problems:
        sys.stdout.write(f"{args.pack.name}: verified\n")
        if note := coverage_note(args.pack):
            sys.stdout.write(f"{note}\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
