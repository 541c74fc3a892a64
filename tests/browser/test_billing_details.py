"""Fixing what goes on invoices, as a customer would: move the billing address to another
country (its own fields and order), add a VAT number, then download an invoice's PDF; with
JavaScript (the country reloads the fields in place) and without (a button does)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from pypdf import PdfReader

from tests.browser.conftest import portal_command
from tests.browser.test_overview import serious_violations

MARGARET = "cus_nYUHLLacjFyR0J"  # the demo's customer in the US
OLIVER = "cus_QcPx3xRjb16tUH"  # the demo's customer in the UK


@pytest.mark.parametrize("javascript", [True, False])
async def test_edit_the_address_add_a_vat_number_and_download_an_invoice(
    browser: Browser, live_server: str, live_env: dict[str, str], javascript: bool
) -> None:
    customer = MARGARET if javascript else OLIVER
    url = portal_command(live_env, "session", "create", customer, "--locale", "en")
    context = await browser.new_context(java_script_enabled=javascript, accept_downloads=True)
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_role("link", name="Update billing details").click()
    await expect(page.get_by_role("heading", name="Billing details", exact=True)).to_be_visible()

    form = page.locator("#address-fields")  # the billing address (the shipping one follows)
    await form.get_by_label("Country or region").select_option("IE")
    if not javascript:
        await form.get_by_role("button", name="Show the fields for this country").click()
    # Ireland's fields: a county and an Eircode, no state or ZIP code.
    await expect(form.get_by_label("County")).to_be_visible()
    await expect(form.get_by_label("Eircode")).to_be_visible()
    await expect(form.get_by_label("ZIP code")).to_have_count(0)
    await form.get_by_label("Address", exact=True).fill("12 Merrion Square")
    await form.get_by_label("Apartment, suite, etc. (optional)").fill("")
    await form.get_by_label("City").fill("Dublin")
    await form.get_by_label("County").select_option("Co. Dublin")
    await form.get_by_label("Eircode").fill("D02")  # too short: refused, nothing saved
    await page.locator("#details-form").get_by_role("button", name="Save").click()
    problem = page.locator("#address_postal_code-problem")
    await expect(problem).to_contain_text("postal code of Ireland")
    if javascript:
        await expect(page.locator("#address_postal_code")).to_be_focused()
        assert await serious_violations(page) == []
    await page.locator("#address_postal_code").fill("D02 X285")
    await page.locator("#details-form").get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Your billing details have been saved")
    details = page.locator("#billing-details")
    await expect(details).to_contain_text("12 Merrion Square")
    await expect(details).to_contain_text("D02 X285")
    await expect(details).to_contain_text("Ireland")

    await page.get_by_role("link", name="Update billing details").click()
    taxes = page.locator("#tax-ids")
    await expect(taxes.get_by_label("Type")).to_have_value("eu_vat")  # Ireland is in the EU
    await taxes.get_by_label("Number").fill("IE6388047X")
    await taxes.get_by_role("button", name="Add").click()
    await expect(page.locator("#tax_id_value-problem")).to_be_visible()
    await page.locator("#tax-ids").get_by_label("Number").fill("IE 6388047V")
    await page.locator("#tax-ids").get_by_role("button", name="Add").click()
    await expect(page.get_by_role("status")).to_contain_text("The tax ID has been added")
    await expect(page.locator("#tax-ids")).to_contain_text("IE6388047V")
    if javascript:
        assert await serious_violations(page) == []

    await page.get_by_role("link", name="Back to billing").click()
    await page.locator("#invoices a[href*='/p/invoices/in_']").first.click()
    number = (await page.locator(".invoice-meta dd").first.text_content() or "").strip()
    if javascript:
        assert await serious_violations(page) == []
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download PDF").click()
    download = await download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    pdf = PdfReader(await download.path())
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert number in text and "Total" in text
    await context.close()
