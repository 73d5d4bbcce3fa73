"""Importing doctors from messy spreadsheets, and exporting them safely."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.doctors import import_service
from surgiai.doctors import tasks as doctor_tasks
from surgiai.doctors.models import (
    ConsentEvent,
    ConsentSource,
    Doctor,
    DoctorEvent,
    DoctorImport,
    DoctorTag,
)
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime, TaskContext
from tests.conftest import drain
from tests.fixtures import create_user, login
from tests.services import base_env

MESSY = (
    "Dr Name,Mobile No.,Speciality,City,Hospital,Reg No,Tags,Years in practice\r\n"
    "Dr. Anil Kumar,+91 98765 43210,General Surgery,Pune,Ruby Hall,MH-1234,"
    '"hot, laparoscopy",12\r\n'
    "डॉ. अनीता शर्मा,098765-43211,,Jaipur,,,,\r\n"
    "\r\n"
    "டாக்டர் கார்த்திக்,0091 98765 43212,Gynaecology,Chennai,,,,\r\n"
    "Dr. Smith,+44 7911 123456,Urology,London,,,,\r\n"
    "Dr. Short,12345,Ortho,,,,,\r\n"
    "Dr. Letters,98765abcde,Ortho,,,,,\r\n"
    "Dr. Nobody,,Ortho,,,,,\r\n"
    "Dr. Landline,+91 22 2345 6789,Ortho,,,,,\r\n"
    ",,,,,,,\r\n"
    "Dr. Anil K.,9876543210,Laparoscopy,Mumbai,,,mesh,\r\n"
    "डॉ. अनीता शर्मा,(+91) 98765.43211,Gynaecology,,,,,\r\n"
)


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="admin@example.com", role=Role.admin)
    return login(client, "admin@example.com")


def upload(
    client: TestClient,
    headers: dict[str, str],
    data: bytes,
    name: str = "doctors.csv",
    mapping: dict[str, str] | None = None,
    path: str = "/api/v1/doctors/import",
) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    form = {"mapping": json.dumps(mapping)} if mapping is not None else {}
    return client.post(path, files=files, data=form, headers=headers)


def run_import(
    client: TestClient,
    runtime: Runtime,
    headers: dict[str, str],
    data: bytes,
    name: str = "doctors.csv",
    mapping: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = upload(client, headers, data, name, mapping)
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "processing"
    drain(runtime.queue)
    report = client.get(f"/api/v1/doctors/imports/{response.json()['id']}", headers=headers)
    assert report.status_code == 200
    body: dict[str, Any] = report.json()
    assert body["state"] == "done", body
    return body


def doctors(runtime: Runtime) -> dict[str | None, Doctor]:
    with session_scope(runtime.session_factory) as session:
        rows = session.scalars(select(Doctor)).all()
        session.expunge_all()
        return {row.wa_id: row for row in rows}


def tags(runtime: Runtime, wa_id: str) -> set[str]:
    with session_scope(runtime.session_factory) as session:
        return set(
            session.scalars(
                select(DoctorTag.tag)
                .join(Doctor, Doctor.id == DoctorTag.doctor_id)
                .where(Doctor.wa_id == wa_id)
            )
        )


def event_count(runtime: Runtime) -> int:
    with session_scope(runtime.session_factory) as session:
        return session.scalar(select(func.count()).select_from(DoctorEvent)) or 0


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class TestMessyFile:
    def test_valid_rows_kept_bad_rows_reported_duplicates_merged(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        report = run_import(client, runtime, admin, MESSY.encode("utf-8"))
        assert (report["added"], report["updated"], report["unchanged"]) == (4, 0, 0)
        assert report["rows_total"] == report["rows_done"] == 10
        assert report["rejected"] == [
            {"row": 7, "reason": "mobile: '12345' has too few or too many digits for its country"},
            {"row": 8, "reason": "mobile: '98765abcde' has letters in it"},
            {"row": 9, "reason": "mobile: no number"},
            {"row": 10, "reason": "mobile: '+91 22 2345 6789' is a landline, not a mobile number"},
        ]
        found = doctors(runtime)
        assert set(found) == {"919876543210", "919876543211", "919876543212", "447911123456"}
        anil = found["919876543210"]
        # The first row wins; the later row only fills what the first left empty.
        assert (anil.name, anil.specialty, anil.city) == (
            "Dr. Anil Kumar",
            "General Surgery",
            "Pune",
        )
        assert (anil.hospital, anil.registration_number) == ("Ruby Hall", "MH-1234")
        assert anil.custom_fields == {"Years in practice": "12"}
        assert tags(runtime, "919876543210") == {"hot", "laparoscopy", "mesh"}
        anita = found["919876543211"]
        assert anita.name == "डॉ. अनीता शर्मा"
        assert anita.specialty == "Gynaecology"  # filled in by the duplicate row
        assert found["919876543212"].name == "டாக்டர் கார்த்திக்"
        assert found["447911123456"].city == "London"
        assert event_count(runtime) == 4

    def test_the_same_file_again_changes_nothing(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        run_import(client, runtime, admin, MESSY.encode("utf-8"))
        before = {k: (d.name, d.specialty, d.updated_at) for k, d in doctors(runtime).items()}
        events = event_count(runtime)
        report = run_import(client, runtime, admin, MESSY.encode("utf-8"))
        assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 4)
        assert len(report["rejected"]) == 4
        after = {k: (d.name, d.specialty, d.updated_at) for k, d in doctors(runtime).items()}
        assert after == before
        assert event_count(runtime) == events

    def test_an_existing_doctor_changes_only_in_the_fields_the_file_sets(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        run_import(client, runtime, admin, MESSY.encode("utf-8"))
        changed = "Mobile,Name,City\n+919876543210,Dr. Anil Kumar,Nashik\n+919999999999,New Doc,\n"
        report = run_import(client, runtime, admin, changed.encode())
        assert (report["added"], report["updated"], report["unchanged"]) == (1, 1, 0)
        anil = doctors(runtime)["919876543210"]
        assert (anil.city, anil.specialty, anil.hospital) == (
            "Nashik",
            "General Surgery",
            "Ruby Hall",
        )
        assert tags(runtime, "919876543210") == {"hot", "laparoscopy", "mesh"}
        with session_scope(runtime.session_factory) as session:
            last = session.scalars(
                select(DoctorEvent)
                .where(DoctorEvent.doctor_id == anil.id)
                .order_by(DoctorEvent.id.desc())
            ).first()
            assert last is not None
            assert (last.kind, last.data["fields"]) == ("import", ["city"])

    def test_imported_and_reimported_doctors_are_found_by_the_search(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        def found(q: str) -> list[str]:
            page = client.get("/api/v1/doctors", params={"q": q}, headers=admin).json()
            return [item["wa_id"] for item in page["items"]]

        run_import(client, runtime, admin, MESSY.encode("utf-8"))
        assert found("anil kumar") == ["919876543210"]
        assert found("ruby hall") == ["919876543210"]
        changed = "Mobile,Name,Hospital\n+919876543210,Dr. Anil Kumar,Jehangir Hospital\n"
        run_import(client, runtime, admin, changed.encode())
        assert found("jehangir") == ["919876543210"]
        assert found("ruby hall") == []
        assert found("98765 43210") == ["919876543210"]

    @pytest.mark.parametrize(
        "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp1252"]
    )
    def test_each_encoding(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], encoding: str
    ) -> None:
        text = "Doctor Name;Phone;City\r\nDr. José Müller \u2013 Ørsted;+91 98765 43210;Kochi\r\n"
        data = (
            "\ufeff".encode("utf-16-be") + text.encode("utf-16-be")
            if encoding == "utf-16-be-bom"
            else text.encode(encoding)
        )
        report = run_import(client, runtime, admin, data)
        assert report["added"] == 1
        assert doctors(runtime)["919876543210"].name == "Dr. José Müller \u2013 Ørsted"

    def test_xlsx_with_numbers_typed_into_number_cells(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        data = xlsx(
            [
                ["Name", "WhatsApp", "Department", "DND"],
                ["Dr. Rao", 9876543210, "Ortho", None],
                [None, None, None, None],
                ["Dr. Iyer", 919876543211, "ENT", "yes"],
                ["Dr. Bad", 12345, "ENT", None],
            ]
        )
        report = run_import(client, runtime, admin, data, name="doctors.xlsx")
        assert (report["added"], report["rows_total"]) == (2, 3)
        assert report["rejected"] == [
            {"row": 5, "reason": "mobile: '12345' has too few or too many digits for its country"}
        ]
        found = doctors(runtime)
        assert found["919876543210"].specialty == "Ortho"
        assert not found["919876543210"].marketing_opted_out
        assert found["919876543211"].marketing_opted_out
        with session_scope(runtime.session_factory) as session:
            [consent] = session.scalars(select(ConsentEvent)).all()
            assert (consent.opted_out, consent.source) == (True, ConsentSource.import_)
            assert consent.doctor_id == found["919876543211"].id

    def test_an_opt_out_column_opts_an_existing_doctor_out_but_never_back_in(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        run_import(client, runtime, admin, b"Mobile,Consent\n9876543210,unsubscribed\n")
        assert doctors(runtime)["919876543210"].marketing_opted_out
        report = run_import(client, runtime, admin, b"Mobile,Consent\n9876543210,yes\n")
        assert report["unchanged"] == 1
        assert doctors(runtime)["919876543210"].marketing_opted_out

    def test_an_explicit_mapping(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        data = b"Col A,Col B,Notes\nDr. Das,9876543210,Met at AMASICON\n"
        mapping = {"name": "Col A", "mobile": "Col B"}
        preview = upload(
            client, admin, data, mapping=mapping, path="/api/v1/doctors/import/preview"
        ).json()
        assert preview["mapping"] == mapping
        assert preview["rows"] == [
            {
                "row": 2,
                "values": {"name": "Dr. Das", "mobile": "+919876543210"},
                "problem": None,
            }
        ]
        run_import(client, runtime, admin, data, mapping=mapping)
        doctor = doctors(runtime)["919876543210"]
        assert (doctor.name, doctor.custom_fields) == ("Dr. Das", {"Notes": "Met at AMASICON"})


class TestDeadWorker:
    def test_an_import_whose_worker_died_is_finished_from_the_next_batch(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        rows = "".join(f"+91 98{index:08d},Dr Patel {index}\n" for index in range(1_200))
        response = upload(client, admin, ("Mobile,Name\n" + rows + "12345,Too short\n").encode())
        import_id = response.json()["id"]
        queued = [t for t in runtime.queue.huey.pending() if t.name == import_service.IMPORT_TASK]
        [path] = [task.args[2] for task in queued]
        runtime.queue.huey.flush()

        class WorkerKilled(BaseException):
            pass

        commits = 0

        def commit_then_die(session: Session) -> None:
            nonlocal commits
            session.commit()
            commits += 1
            if commits == 2:  # the rejected rows, then the first batch of 500
                raise WorkerKilled

        with session_scope(runtime.session_factory) as session:
            doctor_import = import_service.doctor_import_service.start(session, import_id)
            assert doctor_import is not None
            session.commit()
            with pytest.raises(WorkerKilled):
                import_service.doctor_import_service.run(
                    session,
                    doctor_import,
                    Path(path).read_bytes(),
                    "IN",
                    checkpoint=lambda: commit_then_die(session),
                )
        report = client.get(f"/api/v1/doctors/imports/{import_id}", headers=admin).json()
        assert (report["state"], report["added"], report["rows_done"]) == ("processing", 500, 501)

        def sweep(silent_for: timedelta) -> int:
            with session_scope(runtime.session_factory) as session:
                stalled = session.get(DoctorImport, import_id)
                assert stalled is not None
                stalled.heartbeat_at = utcnow() - silent_for
            with session_scope(runtime.session_factory) as session:
                return doctor_tasks.redrive_imports(TaskContext(session, runtime))

        # A run that shows signs of life is left alone.
        assert sweep(timedelta(minutes=1)) == 0
        assert sweep(import_service.STUCK_AFTER + timedelta(seconds=1)) == 1
        drain(runtime.queue)
        report = client.get(f"/api/v1/doctors/imports/{import_id}", headers=admin).json()
        assert report["state"] == "done", report
        assert (report["added"], report["updated"], report["unchanged"]) == (1_200, 0, 0)
        assert (report["rows_done"], report["rows_total"]) == (1_201, 1_201)
        assert report["rejected"] == [{"row": 1_202, "reason": report["rejected"][0]["reason"]}]
        assert len(doctors(runtime)) == 1_200

    def test_an_import_that_keeps_killing_its_worker_is_given_up(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = upload(client, admin, b"Mobile,Name\n+919876543210,Dr Rao\n")
        import_id = response.json()["id"]
        runtime.queue.huey.flush()
        for _ in range(import_service.MAX_ATTEMPTS):
            with session_scope(runtime.session_factory) as session:
                # Each worker takes the job and dies before its first batch.
                assert import_service.doctor_import_service.start(session, import_id) is not None
        with session_scope(runtime.session_factory) as session:
            stalled = session.get(DoctorImport, import_id)
            assert stalled is not None
            stalled.heartbeat_at = utcnow() - import_service.STUCK_AFTER - timedelta(seconds=1)
        with session_scope(runtime.session_factory) as session:
            assert doctor_tasks.redrive_imports(TaskContext(session, runtime)) == 1
        drain(runtime.queue)
        report = client.get(f"/api/v1/doctors/imports/{import_id}", headers=admin).json()
        assert report["state"] == "failed"
        assert report["failure_reason"] == import_service.CRASHED.format(attempts=3)


class TestPreview:
    def test_detected_columns_and_each_rows_problem(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = upload(client, admin, MESSY.encode(), path="/api/v1/doctors/import/preview")
        assert response.status_code == 200, response.text
        preview = response.json()
        assert preview["source"] == "CSV (UTF-8)"
        assert preview["mapping"] == {
            "name": "Dr Name",
            "mobile": "Mobile No.",
            "specialty": "Speciality",
            "city": "City",
            "hospital": "Hospital",
            "registration_number": "Reg No",
            "tags": "Tags",
        }
        problems = {row["row"]: row["problem"] for row in preview["rows"]}
        assert problems[2] is None
        assert problems[8] == "mobile: '98765abcde' has letters in it"
        assert problems[12] == "same number as row 2: merged into it"
        assert doctors(runtime) == {}


class TestRefused:
    def test_over_20_mb_is_413(self, client: TestClient, admin: dict[str, str]) -> None:
        data = b"Mobile\n" + b"9876543210\n" * (2 * 1024 * 1024)
        assert upload(client, admin, data).status_code == 413

    @pytest.mark.parametrize("path", ["/api/v1/doctors/import", "/api/v1/doctors/import/preview"])
    def test_a_body_declared_over_20_mb_is_refused_before_it_is_read(
        self, client: TestClient, admin: dict[str, str], path: str
    ) -> None:
        response = client.post(
            path,
            headers={
                **admin,
                "Content-Type": "multipart/form-data; boundary=x",
                "Content-Length": str(40 * 1024 * 1024),
            },
            content=b"--x--\r\n",
        )
        assert response.status_code == 413
        assert response.json()["detail"].startswith("The file is over 20 MB")

    @pytest.mark.parametrize(
        "data", [b"%PDF-1.7 whatever", b"\xd0\xcf\x11\xe0 old excel", b"\x00\x01\x02binary\x00"]
    )
    def test_not_csv_or_xlsx_is_415(
        self, client: TestClient, admin: dict[str, str], data: bytes
    ) -> None:
        assert upload(client, admin, data).status_code == 415

    def test_no_mobile_column_is_422_and_nothing_is_kept(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = upload(client, admin, b"Name,City\nDr. A,Pune\n")
        assert response.status_code == 422
        assert "mobile" in response.json()["detail"]
        assert upload(client, admin, b"Name\nx\n", mapping={"mobile": "Cell"}).status_code == 422
        with session_scope(runtime.session_factory) as session:
            assert session.scalar(select(func.count()).select_from(DoctorImport)) == 0

    def test_agents_may_neither_import_nor_export(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime, email="agent@example.com", role=Role.agent)
        agent = login(client, "agent@example.com")
        assert upload(client, agent, b"Mobile\n9876543210\n").status_code == 403
        assert client.get("/api/v1/doctors/export", headers=agent).status_code == 403


class TestExport:
    def test_formula_like_cells_are_neutralised_and_the_export_imports_back_unchanged(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        hostile = (
            "Name,Mobile,City,Hospital,Notes\n"
            '"=HYPERLINK(""http://x"")",9876543210,+Pune,@clinic,"-2+3"\n'
            "Dr. Calm,9876543211,Pune,City Clinic,\n"
        )
        run_import(client, runtime, admin, hostile.encode())
        response = client.get("/api/v1/doctors/export?format=csv", headers=admin)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        header, first, second = rows
        assert header[:2] == ["Name", "Mobile"] and header[-1] == "Notes"
        assert first[:2] == ['\'=HYPERLINK("http://x")', "'+919876543210"]
        assert first[header.index("City")] == "'+Pune"
        assert first[header.index("Hospital")] == "'@clinic"
        assert first[-1] == "'-2+3"
        assert second[0] == "Dr. Calm"
        for row in rows:
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
        report = run_import(client, runtime, admin, response.content, name="export.csv")
        assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 2)

    def test_xlsx_export_follows_the_filter(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        run_import(client, runtime, admin, MESSY.encode())
        response = client.get(
            "/api/v1/doctors/export",
            params={"format": "xlsx", "city": ["pune", "Chennai"]},
            headers=admin,
        )
        assert response.status_code == 200, response.text
        sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert [row[0] for row in rows[1:]] == ["Dr. Anil Kumar", "டாக்டர் கார்த்திக்"]
        assert rows[1][1] == "'+919876543210"

    def test_an_unknown_filter_is_422(self, client: TestClient, admin: dict[str, str]) -> None:
        response = client.get("/api/v1/doctors/export?colour=red", headers=admin)
        assert response.status_code == 422


def run_cli(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, as an operator runs it (it configures logging)."""
    env = base_env(tmp_path, database_url)
    env.update(
        {"SURGIAI_ADMIN_EMAIL": "boss@clinic.example", "SURGIAI_ADMIN_PASSWORD": "a strong pass"}
    )
    return subprocess.run(
        [sys.executable, "-m", "surgiai", "doctors", "import", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestCli:
    def test_imports_now_and_prints_the_report(self, tmp_path: Path, database_url: str) -> None:
        file = tmp_path / "list.csv"
        file.write_bytes(b"Cell,Name\n9876543210,Dr. A\n12345,Dr. B\n")
        args = [str(file), "--mapping", '{"mobile": "Cell", "name": "Name"}']
        result = run_cli(tmp_path, database_url, *args)
        assert result.returncode == 0, result.stderr
        assert "1 added, 0 updated, 0 unchanged, 1 rows rejected" in result.stdout
        assert "row 3: mobile: '12345' has too few" in result.stdout
        again = run_cli(tmp_path, database_url, *args)
        assert "0 added, 0 updated, 1 unchanged" in again.stdout

    def test_a_file_without_a_mobile_column_exits_1(
        self, tmp_path: Path, database_url: str
    ) -> None:
        file = tmp_path / "list.csv"
        file.write_bytes(b"Name\nDr. A\n")
        result = run_cli(tmp_path, database_url, str(file))
        assert result.returncode == 1
        assert "No column holds the mobile number" in result.stderr
