"""Importing products from CSV and XLSX: encodings, rejected rows, repeat imports, limits."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from surgiai.auth.roles import Role
from surgiai.catalogue.models import Product
from surgiai.catalogue.revision import current_revision
from surgiai.db.engine import session_scope
from surgiai.kit.spreadsheets import decode_text
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import create_user, login

PRICE_LIST = (
    "Price list 2026,,,\n"
    "Cat. No.,Product Name,Pack Size,MRP (₹)\n"
    'LT-5100,Vicryl 2-0,Box of 12,"₹ 2,450"\n'
    'lt-5101,Prolene 3-0,Box of 12,"Rs. 1,950/-"\n'
    ",,,\n"
    'ST-60,,1,"24,500"\n'
    "MX-1,Mesh 15x15,1,1.2 lakh\n"
    "TR-5,Trocar 5 mm,Box of 6,-300\n"
    "LT-5100,Vicryl 2-0 again,Box of 12,2450\n"
    "Café Sutures,,,\n"
    "CS-1,Catgut Chromic,Box of 12,900\n"
)


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="admin@example.com", role=Role.admin)
    return login(client, "admin@example.com")


def upload(
    client: TestClient, headers: dict[str, str], data: bytes, name: str = "prices.csv"
) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return client.post("/api/v1/products/import", files=files, headers=headers)


def stored(runtime: Runtime) -> dict[str | None, Product]:
    with session_scope(runtime.session_factory) as session:
        rows = session.scalars(select(Product)).all()
        session.expunge_all()
        return {row.code: row for row in rows}


class TestImport:
    def test_valid_rows_are_kept_and_bad_rows_reported(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = upload(client, admin, PRICE_LIST.encode("utf-8"))
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["added"], report["updated"], report["unchanged"]) == (3, 0, 0)
        assert report["rejected"] == [
            {"row": 6, "reason": "no product name"},
            {"row": 7, "reason": "price '1.2 lakh' is not an amount"},
            {"row": 8, "reason": "price '-300' is negative"},
            {"row": 9, "reason": "code LT-5100 is already on row 3"},
        ]
        products = stored(runtime)
        assert set(products) == {"LT-5100", "LT-5101", "CS-1"}
        assert products["LT-5100"].price == Decimal("2450.00")
        assert products["LT-5101"].price == Decimal("1950.00")
        assert products["CS-1"].category == "Café Sutures"
        drain(runtime.queue)
        events = client.get("/api/v1/audit", headers=admin).json()["items"]
        assert events[0]["action"] == "products.imported"
        assert events[0]["details"]["added"] == 3

    def test_the_same_file_again_changes_nothing(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        data = PRICE_LIST.encode("utf-8")
        upload(client, admin, data)
        with session_scope(runtime.session_factory) as session:
            revision = current_revision(session)
        before = {code: (p.name, p.price, p.updated_at) for code, p in stored(runtime).items()}
        report = upload(client, admin, data).json()
        assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 3)
        after = {code: (p.name, p.price, p.updated_at) for code, p in stored(runtime).items()}
        assert after == before
        with session_scope(runtime.session_factory) as session:
            assert current_revision(session) == revision

    def test_a_changed_price_updates_the_product(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        upload(client, admin, PRICE_LIST.encode("utf-8"))
        changed = "Code,Product,Price\nLT-5100,Vicryl 2-0,2600\nNEW-1,Stapler,\n"
        report = upload(client, admin, changed.encode()).json()
        assert (report["added"], report["updated"], report["unchanged"]) == (1, 1, 0)
        products = stored(runtime)
        assert products["LT-5100"].price == Decimal("2600.00")
        assert products["LT-5100"].pack_size == "Box of 12"  # no such column: left alone
        assert "price" in products["LT-5100"].edited_fields
        assert products["NEW-1"].price is None

    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
    def test_each_encoding(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], encoding: str
    ) -> None:
        # Windows-1252 has no ₹: the price says Rs.
        text = (
            "Product;Code;Price\r\n"
            "Café Suture \u2013 Ø 3 mm;CS-3;Rs. 1,250\r\n"
            "Café Mesh;CM-1;990\r\n"
        )
        response = upload(client, admin, text.encode(encoding))
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == []
        products = stored(runtime)
        assert products["CM-1"].name == "Café Mesh"
        assert products["CS-3"].name == "Café Suture \u2013 Ø 3 mm"
        assert products["CS-3"].price == Decimal("1250.00")

    def test_an_xlsx_workbook(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        workbook = openpyxl.Workbook()
        notes = workbook.active
        notes.title = "Read me"
        notes["A1"] = "Prices valid from April 2026"
        sheet = workbook.create_sheet("Price list")
        sheet.append(["ACME price list"])
        sheet.append([])
        sheet.append(["Item", "SKU", "Qty/Box", "Rate (₹)", "Category"])
        sheet.append(["Vicryl 2-0", "v-20", 12, 2450.0, "Sutures"])
        sheet.append(["Harmonic Shears", "HS-36", 1, 85000, "Energy"])
        sheet.append(["Bad price", "BP-1", 1, "abc", "Energy"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = upload(client, admin, buffer.getvalue(), "prices.xlsx")
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == [{"row": 6, "reason": "price 'abc' is not an amount"}]
        products = stored(runtime)
        assert (products["V-20"].pack_size, products["V-20"].price) == ("12", Decimal("2450.00"))
        assert products["HS-36"].category == "Energy"

    def test_an_oversized_file(self, client: TestClient, admin: dict[str, str]) -> None:
        data = b"Product,Price\n" + b"x" * (5 * 1024 * 1024)
        assert upload(client, admin, data).status_code == 413

    def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/products/import",
            headers={
                **admin,
                "Content-Type": "multipart/form-data; boundary=x",
                "Content-Length": str(50 * 1024 * 1024),
            },
            content=b"--x--\r\n",
        )
        assert response.status_code == 413
        assert response.json()["detail"].startswith("The file is over 5 MB")

    @pytest.mark.parametrize(
        ("data", "name", "status"),
        [
            (b"%PDF-1.7\n...", "catalogue.pdf", 415),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", 415),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", 415),
            (b"PK\x03\x04not really a zip", "broken.xlsx", 415),
            (b"", "empty.csv", 422),
            (b"Name,Age\nRavi,40\n", "people.csv", 422),
        ],
    )
    def test_files_that_are_no_product_list(
        self, client: TestClient, admin: dict[str, str], data: bytes, name: str, status: int
    ) -> None:
        response = upload(client, admin, data, name)
        assert response.status_code == status, response.text
        assert response.json()["detail"]


class TestDecoding:
    def test_utf16_without_a_byte_order_mark(self) -> None:
        assert decode_text("Product,Price\n".encode("utf-16-be")) == ("Product,Price\n", "UTF-16")

    def test_windows_1252(self) -> None:
        assert decode_text("Café \u2013 €".encode("cp1252")) == (
            "Café \u2013 €",
            "Windows-1252",
        )
