"""`portal load`: the demo file, idempotence, and errors that name the object and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.cli import DEMO_FILE, main
from portal.db import Database
from portal.loader import LoadError, load, parse, read
from portal.tables import metadata
from tests import factories


async def row_counts(db: Database) -> dict[str, int]:
    return {
        table.name: await db.fetch_val(select(func.count()).select_from(table))
        for table in metadata.sorted_tables
    }


def demo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_FILE.read_text())
    return data


class TestDemoFile:
    async def test_loads_twice_with_the_same_row_counts(self, db: Database) -> None:
        await load(db, read(DEMO_FILE))
        first = await row_counts(db)
        await load(db, read(DEMO_FILE))
        assert await row_counts(db) == first
        assert first["customers"] >= 12
        assert first["invoices"] > first["customers"]
        assert first["portal_configurations"] == 1

    async def test_has_every_interesting_state(self, db: Database) -> None:
        data = demo()
        statuses = {s["status"] for s in data["subscriptions"]}
        assert {"active", "trialing", "past_due", "canceled"} <= statuses
        assert any(s.get("cancel_at_period_end") for s in data["subscriptions"])
        assert any(s.get("pause_collection") for s in data["subscriptions"])
        emails = [c["email"].casefold() for c in data["customers"] if c.get("email")]
        assert len(emails) > len(set(emails)), "two customers share an email"
        currencies = {p["currency"] for p in data["prices"]}
        assert len(currencies) > 1
        intervals = {p["recurring"]["interval"] for p in data["prices"] if p.get("recurring")}
        assert {"month", "year"} <= intervals


class TestErrors:
    async def test_one_bad_field_leaves_the_database_untouched(self, db: Database) -> None:
        await factories.customer_with_plan(db)
        before = await row_counts(db)
        data = demo()
        data["customers"][3]["email"] = "not an email"
        with pytest.raises(LoadError) as error:
            await load(db, parse(data))
        message = str(error.value)
        assert f"customers[3] ({data['customers'][3]['id']}), field email" in message
        assert "valid email" in message
        assert await row_counts(db) == before

    async def test_a_broken_reference_is_refused_before_anything_is_written(
        self, db: Database
    ) -> None:
        data = demo()
        data["subscriptions"][-1]["items"]["data"][0]["price"] = "price_missing"
        with pytest.raises(LoadError, match="price_missing, which is neither in the file"):
            await load(db, parse(data))
        assert (await row_counts(db))["products"] == 0

    async def test_references_may_point_at_rows_already_loaded(self, db: Database) -> None:
        data = await factories.customer_with_plan(db)
        extra = factories.invoice(
            data["customer"]["id"], 500, subscription_id=data["subscription"]["id"]
        )
        await load(db, parse({"invoices": [extra]}))
        assert (await row_counts(db))["invoices"] == 3

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            (lambda d: d["invoices"][0].update(subtotal=1), "field subtotal"),
            (lambda d: d["prices"][0].update(currency="xyz"), "ISO 4217"),
            (
                lambda d: d["customers"][0].update(address={"country": "ZZ"}),
                "field address.country",
            ),
            (lambda d: d["subscriptions"][0].update(status="sleeping"), "field status"),
            (lambda d: d["products"].append(dict(d["products"][0])), "appears more than once"),
            (lambda d: d["prices"][0].update(unit_amount=-5), "field unit_amount"),
            (
                lambda d: d["portal_configurations"][0]["business_profile"].update(
                    headline="x" * 61
                ),
                "field business_profile.headline",
            ),
            (
                lambda d: d["portal_configurations"][0]["branding"].update(button_color="red"),
                "field branding.button_color",
            ),
            (lambda d: d.update(widgets=[]), "Unknown list 'widgets'"),
        ],
    )
    async def test_each_problem_is_named(self, db: Database, change: Any, expected: str) -> None:
        data = demo()
        change(data)
        with pytest.raises(LoadError, match=expected.replace(".", r"\.").replace("(", r"\(")):
            await load(db, parse(data))
        assert (await row_counts(db))["products"] == 0

    async def test_a_code_taken_by_another_stored_row_is_refused_whole(self, db: Database) -> None:
        data = await factories.customer_with_plan(db)
        coupon = {"id": "TEN", "percent_off": 10, "duration": "once", "created": 1}
        await load(
            db,
            parse(
                {
                    "coupons": [coupon],
                    "promotion_codes": [
                        {"id": "promo_a1", "code": "TENOFF", "coupon": "TEN", "created": 1}
                    ],
                }
            ),
        )
        before = await row_counts(db)
        clash = {
            "products": [factories.product()],
            "promotion_codes": [
                {"id": "promo_b2", "code": "tenoff", "coupon": "TEN", "created": 1}
            ],
        }
        with pytest.raises(LoadError, match="nothing was loaded"):
            await load(db, parse(clash))
        assert await row_counts(db) == before
        assert data


class TestCommand:
    def test_load_prints_counts_and_bad_files_exit_2(
        self,
        database_url: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("SECRET_KEY", "k" * 40)
        main(["load", str(DEMO_FILE)])
        assert "customers" in capsys.readouterr().out

        bad = tmp_path / "bad.json"
        bad.write_text('{"products": [{"id": "prod_x", "name": "X"}]}')
        with pytest.raises(SystemExit) as exit_:
            main(["load", str(bad)])
        assert exit_.value.code == 2
        assert "products[0] (prod_x), field created: Field required" in capsys.readouterr().err

        broken = tmp_path / "broken.json"
        broken.write_text('{"products": [')
        with pytest.raises(SystemExit):
            main(["load", str(broken)])
        assert "not valid JSON at line 1" in capsys.readouterr().err
