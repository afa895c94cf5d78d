"""Reports an auditor can use, and evidence packs that prove themselves offline: the CSV has every field
and is safe in a spreadsheet, the JSON report carries the events and chain entries it claims, and an
evidence pack verifies with its own verifier, which names every file that was altered."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from inventory import secure_media
from inventory.errors import InvalidRequest
from inventory.secure_media import evidence_verifier
from inventory.secure_media.register_export import COLUMNS
from tests.api import test_secure_media
from tests.api.service_world import local
from tests.api.test_sanitization import PDF, returned_disk, upload
from tests.api.test_secure_media import destruction, event, retained_disk

sworld = test_secure_media.sworld  # the fixture


async def two_records(client, sworld, clock) -> tuple[dict, dict]:
    """A kept disk destroyed and verified with its uploaded certificate, and a returned one."""
    clock.now = local(2026, 11, 20, 9)
    kept = await retained_disk(client, sworld, failed_serial='=HYPERLINK("http://x")', prefix="K")
    clock.now = local(2026, 11, 24, 10)
    returned = await returned_disk(client, sworld, "RET-9", "R")
    assert (await upload(client, sworld, kept["id"], PDF)).status_code == 201
    body = destruction(tool="-cmd|' /C calc'!A0", certificate_sha256=None)
    body.pop("certificate_sha256")
    clock.now = local(2026, 11, 24, 12)
    assert (await event(client, sworld, kept["id"], "warehouse", body)).status_code == 201
    assert (
        await event(client, sworld, kept["id"], "compliance", {"type": "verification"})
    ).status_code == 201
    return kept, returned


async def test_the_csv_has_every_field_and_is_safe_in_a_spreadsheet(client, sworld, clock):
    kept, returned = await two_records(client, sworld, clock)
    compliance = {**sworld.headers["compliance"], "Accept": "text/csv"}
    exported = await client.get("/api/v1/compliance/secure-media/report", headers=compliance)
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert next(csv.reader(io.StringIO(exported.text))) == list(COLUMNS)
    row = rows[str(kept["id"])]
    assert row["failed_serial"] == '\'=HYPERLINK("http://x")'  # never a formula
    assert row["destruction_tool"] == "'-cmd|' /C calc'!A0"
    assert (row["custody"], row["state"], row["overdue"]) == ("customer", "verified", "no")
    assert row["destruction_method"] == "destroy"
    assert row["destruction_validated_by"] == "Liu Yang"
    assert row["destruction_certificate_number"] == "DC-2026-0042"
    assert row["destruction_policy"] == "secret/*"
    assert row["certificate_document_uploaded"] == "yes"
    assert row["verification_result"] == "accepted"
    assert row["verified_by"] == "compliance"
    assert row["retained_at"] == "2026-11-20T01:00:00+00:00"
    assert row["retained_at_local"] == "2026-11-20T09:00:00+08:00"
    assert row["verified_at_local"] == "2026-11-24T12:00:00+08:00"
    assert row["destruction_performed_at_local"] == "2026-11-24T11:00:00+08:00"
    assert '"event":"destruction"' in row["events"].replace(" ", "")
    assert rows[str(returned["id"])]["custody"] == "depot"
    assert rows[str(returned["id"])]["depot"] == "PEK-C"

    for params, expected in (
        ({"custody": "depot"}, {returned["id"]}),
        ({"state": "verified"}, {kept["id"]}),
        ({"from": "2026-11-22T00:00:00+08:00"}, {returned["id"]}),
        ({"to": "2026-11-22T00:00:00+08:00"}, {kept["id"]}),
        ({"customer": "STD"}, {returned["id"]}),
    ):
        filtered = await client.get(
            "/api/v1/compliance/secure-media/report", params=params, headers=compliance
        )
        assert {int(r["id"]) for r in csv.DictReader(io.StringIO(filtered.text))} == expected, params
    backwards = await client.get(
        "/api/v1/compliance/secure-media/report",
        params={"from": "2026-11-22T00:00:00+08:00", "to": "2026-11-21T00:00:00+08:00"},
        headers=compliance,
    )
    assert backwards.status_code == 422


async def test_the_json_report_carries_the_events_and_chain_entries_it_claims(client, sworld, clock):
    kept, _returned = await two_records(client, sworld, clock)
    report = await client.get("/api/v1/compliance/secure-media/report", headers=sworld.headers["compliance"])
    item = next(i for i in report.json()["items"] if i["id"] == kept["id"])
    assert [e["event"] for e in item["events"]] == ["document", "destruction", "verification"]
    assert [a["action"] for a in item["audit"]] == [
        "retention.created",
        "retention.document",
        "retention.destruction",
        "retention.verification",
    ]
    assert item["documents"][0]["sha256"] == item["events"][0]["details"]["document"]["sha256"]


async def test_a_report_is_never_cut_short(client, sworld, clock):
    """More records than a report (or an evidence pack) may hold is a 422 asking for a shorter period,
    never a report whose records and totals silently stop at the limit."""
    await two_records(client, sworld, clock)
    now = local(2026, 11, 25, 9)
    whole = await secure_media.report(customer=None, viewer=None, now=now, limit=2, whole=True)
    assert whole.total == 2
    with pytest.raises(InvalidRequest, match="more than 1 records match"):
        await secure_media.report(customer=None, viewer=None, now=now, limit=1, whole=True)
    assert (await secure_media.report(customer=None, viewer=None, now=now, limit=1)).total == 1
    with pytest.raises(InvalidRequest, match="more than 1 records match"):
        await secure_media.evidence_pack(
            customer=None,
            retained_from=None,
            retained_to=None,
            now=now,
            render_html=str,
            max_records=1,
            max_entries=1_000,
        )


async def test_an_evidence_pack_verifies_offline_and_names_each_altered_file(
    client, sworld, clock, tmp_path, settings
):
    kept, returned = await two_records(client, sworld, clock)
    period = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-12-01T00:00:00+08:00"}
    early = await client.get(
        "/api/v1/compliance/evidence-packs", params=period, headers=sworld.headers["compliance"]
    )
    (tmp_path / "early.zip").write_bytes(early.content)
    assert evidence_verifier.verify(tmp_path / "early.zip") == []
    assert "no signed checkpoint covers" in evidence_verifier.coverage_note(tmp_path / "early.zip")
    assert (
        await client.post("/api/v1/audit/checkpoints", headers=sworld.headers["compliance"])
    ).status_code == 201
    key = (await client.get("/api/v1/audit/checkpoints", headers=sworld.headers["compliance"])).json()[
        "public_key"
    ]
    answer = await client.get(
        "/api/v1/compliance/evidence-packs",
        params=period,
        headers={**sworld.headers["compliance"], "accept-language": "en"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    pack = tmp_path / "pack.zip"
    pack.write_bytes(answer.content)
    with zipfile.ZipFile(pack) as archive:
        names = set(archive.namelist())
        certificate = archive.read(f"records/{kept['id']}/certificate.html").decode()
        pdf = archive.read(f"records/{kept['id']}/certificate.pdf")
    assert {
        "manifest.json", "manifest.sig", "register.csv", "public_key.pem", "verify_pack.py", "README.txt",
        "chain/entries.jsonl", "chain/checkpoints.json",
        f"records/{kept['id']}/record.json", f"records/{returned['id']}/record.json",
    } <= names  # fmt: skip
    document = next(name for name in names if "/documents/" in name)
    manifest = json.loads(zipfile.ZipFile(pack).read("manifest.json"))
    assert manifest["chain"]["covered"] is True
    assert evidence_verifier.coverage_note(pack) is None
    checkpoints = json.loads(zipfile.ZipFile(pack).read("chain/checkpoints.json"))
    assert manifest["chain"]["checkpoint_seq"] in {checkpoint["seq"] for checkpoint in checkpoints}
    assert "Certificate of media sanitization" in certificate
    assert pdf.startswith(b"%PDF-")

    assert evidence_verifier.verify(pack, trusted_key=key) == []
    mac_key = settings.audit_keys().mac_key
    assert evidence_verifier.verify(pack, trusted_key=key, mac_key=mac_key) == []
    wrong_mac = evidence_verifier.verify(pack, trusted_key=key, mac_key=bytes(32))
    assert wrong_mac
    assert all(problem.startswith("chain/entries.jsonl: entry ") for problem in wrong_mac)
    assert all("MAC is wrong" in problem for problem in wrong_mac)
    verified = subprocess.run(  # noqa: ASYNC221 (the auditor's command line, once)
        [sys.executable, "-c", _RUN, str(pack), "--public-key", key, "--mac-key", mac_key.hex()],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (verified.returncode, verified.stdout.strip()) == (0, "pack.zip: verified"), verified.stderr

    kinds = [
        "register.csv", f"records/{kept['id']}/record.json", f"records/{kept['id']}/certificate.html",
        f"records/{kept['id']}/certificate.pdf", document, "chain/entries.jsonl", "chain/checkpoints.json",
        "public_key.pem", "manifest.json", "manifest.sig", "README.txt", "verify_pack.py",
    ]  # fmt: skip
    for name in kinds:
        altered = tmp_path / f"altered-{name.replace('/', '-')}.zip"
        _alter_one_byte(pack, altered, name)
        problems = evidence_verifier.verify(altered, trusted_key=key)
        assert problems, name
        assert any(name in problem.split(": ")[0] for problem in problems), (name, problems)
    theirs = await client.get(
        "/api/v1/compliance/evidence-packs",
        params={"customer": "STD", "from": "2026-11-01T00:00:00+08:00"},
        headers=sworld.headers["compliance"],
    )
    with zipfile.ZipFile(io.BytesIO(theirs.content)) as archive:
        folders = {name.split("/")[1] for name in archive.namelist() if name.startswith("records/")}
    assert folders == {str(returned["id"])}
    other = evidence_verifier.verify(pack, trusted_key="ab" * 32)
    assert any(problem.startswith("public_key.pem: not the audit key you trust") for problem in other)


_RUN = (
    "import runpy, sys, zipfile; pack = sys.argv[1]; "
    "source = zipfile.ZipFile(pack).read('verify_pack.py'); "
    "sys.argv = ['verify_pack.py', *sys.argv[1:]]; "
    "exec(compile(source, 'verify_pack.py', 'exec'), {'__name__': '__main__'})"
)
"""Run the verifier the pack carries, as an auditor would after unpacking it."""


def _alter_one_byte(source: Path, target: Path, name: str) -> None:
    """A copy of the pack where one byte in the middle of ``name`` is changed."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            content = bytearray(original.read(info.filename))
            if info.filename == name:
                middle = len(content) // 2
                content[middle] = (content[middle] + 1) % 256 if content[middle] != ord("\n") else ord("x")
            copy.writestr(info, bytes(content))
