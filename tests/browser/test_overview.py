"""What only a browser shows: the htmx language swap, focus, and accessibility (axe-core)."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

SERIOUS = {"serious", "critical"}


async def serious_violations(page: Page) -> list[str]:
    results = await Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


async def test_language_switch_is_an_htmx_swap(browser: Browser, demo_urls: dict[str, str]) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(demo_urls["overview"])
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    heading = await page.locator("h1").inner_text()
    await page.evaluate("window.notReloaded = true")

    await page.get_by_role("link", name="Français").click()

    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert await page.evaluate("window.notReloaded") is True, "the page was reloaded"
    assert await page.locator("h1").inner_text() != heading
    await expect(page.get_by_role("link", name="Français")).to_be_focused()
    await expect(page.get_by_role("link", name="Français")).to_have_attribute(
        "aria-current", "true"
    )
    # The choice sticks: a fresh load is in French too.
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await context.close()


async def test_language_switch_without_javascript(
    browser: Browser, demo_urls: dict[str, str]
) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(demo_urls["overview"])
    await page.get_by_role("link", name="Deutsch").click()
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await context.close()


async def test_pages_have_no_serious_accessibility_violations(
    browser: Browser, demo_urls: dict[str, str]
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    for url in (demo_urls["overview"], demo_urls["login"], demo_urls["missing"]):
        await page.goto(url)
        assert await serious_violations(page) == [], url
        # And once more after switching language through htmx.
        await page.get_by_role("link", name="日本語").click()
        await expect(page.locator("html")).to_have_attribute("lang", "ja")
        assert await serious_violations(page) == [], f"{url} in Japanese"
    await context.close()
