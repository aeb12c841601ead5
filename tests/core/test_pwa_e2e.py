"""MyBA is an installable app: a web app manifest, a service worker at the root, an offline
page. The worker caches static files and the public offline page only: a page someone saw
while signed in is never kept on the device (no cross-user leak, no stale balance).

The browser tests run in plain Chromium with the CSP enforced (the `page`/`make_page`
fixtures), which proves the CSP lets the manifest and the worker load.
"""

import json
import struct

import pytest
from playwright.sync_api import expect

from tests.helpers import sign_in_browser_as

pytestmark = [pytest.mark.django_db(transaction=True)]

OFFLINE_TEXT = "Your tickets will be here when you’re back."


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# ---- Served as browsers expect (no browser needed) ------------------------------------------

def test_manifest_is_served_with_its_type_and_what_installing_needs(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["name"] == "MyBA"
    assert manifest["short_name"] == "MyBA"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    # The light theme's page background and header (static/css/app.css).
    assert manifest["background_color"] == "#f7f8fb"
    assert manifest["theme_color"] == "#ffffff"

    pngs = {}
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        assert served["Content-Type"] == icon["type"], icon["src"]
        if icon["type"] == "image/png":
            width, height = png_size(body_of(served))
            assert icon["sizes"] == f"{width}x{height}", icon["src"]
            pngs.setdefault(icon.get("purpose", "any"), set()).add(width)
    assert {192, 512} <= pngs["any"]
    assert 512 in pngs["maskable"]
    assert any(icon["type"] == "image/svg+xml" for icon in manifest["icons"])


def test_service_worker_is_served_from_the_root_and_always_revalidated(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    assert '"/offline/"' in script
    assert '"/static/css/app.css"' in script
    assert 'addEventListener("fetch"' in script
    # The cache name carries a version, so a new release replaces the old cache.
    assert 'const VERSION = "' in script and "{{" not in script


def test_service_worker_is_served_with_production_s_hashed_static_names(client, settings,
                                                                      tmp_path):
    # Production serves static files from collectstatic's manifest, which has an entry for
    # every file and none for the bare prefix: the worker once asked it for "" and failed.
    from config.pwa import CORE_ASSETS

    hashed = {path: path.replace(".", ".0123abcd.", 1) for path in CORE_ASSETS}
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"paths": hashed, "version": "1.1", "hash": "0123abcd"}))
    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

    response = client.get("/sw.js")

    assert response.status_code == 200
    script = response.content.decode()
    assert 'const STATIC_PREFIX = "/static/";' in script
    assert '"/static/css/app.0123abcd.css"' in script
    assert '"/static/css/app.css"' not in script


def test_offline_page_is_public_and_holds_nothing_about_the_person(client, verified_user):
    anonymous = client.get("/offline/")
    client.force_login(verified_user)
    signed_in = client.get("/offline/")

    for response in (anonymous, signed_in):
        assert response.status_code == 200
        html = response.content.decode()
        assert "You’re offline" in html
        assert OFFLINE_TEXT in html
        assert 'href="/"' in html and "Try again" in html
        assert "/static/css/app.css" in html
    assert verified_user.email not in signed_in.content.decode()
    assert "balance" not in signed_in.content.decode().lower()


def test_every_page_names_the_manifest_icons_and_the_worker_script(client):
    html = client.get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)"' in html
    assert 'media="(prefers-color-scheme: dark)"' in html
    assert 'rel="apple-touch-icon" href="/static/img/icons/apple-touch-icon.png"' in html
    assert '<script src="/static/js/pwa.js" defer></script>' in html


# ---- In Chromium ------------------------------------------------------------------------------

def wait_for_worker(page) -> dict:
    """Wait until the page's service worker is active and controls the page."""
    state = page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        const worker = registration.active;
        if (worker.state !== "activated") {
            await new Promise((resolve) => worker.addEventListener("statechange", () => {
                if (worker.state === "activated") resolve();
            }));
        }
        if (!navigator.serviceWorker.controller) {
            await new Promise((resolve) => navigator.serviceWorker.addEventListener(
                "controllerchange", resolve, { once: true }));
        }
        return {
            scope: registration.scope,
            script: registration.active.scriptURL,
            state: registration.active.state,
        };
    }""")
    return state


CACHE_CONTENTS = """async () => {
    const entries = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
            const response = await cache.match(request, { ignoreVary: true });
            entries.push({
                cache: name,
                path: new URL(request.url).pathname,
                type: response.headers.get("Content-Type") || "",
                text: (response.headers.get("Content-Type") || "").startsWith("text/html")
                    ? await response.text() : "",
            });
        }
    }
    return entries;
}"""


@pytest.mark.e2e
def test_service_worker_registers_activates_and_precaches(page, live_server):
    page.goto("/")

    worker = wait_for_worker(page)

    assert worker["state"] == "activated"
    assert worker["scope"] == f"{live_server.url}/"
    assert worker["script"] == f"{live_server.url}/sw.js"
    cached = {entry["path"] for entry in page.evaluate(CACHE_CONTENTS)}
    assert {"/offline/", "/static/css/app.css", "/static/js/app.js",
            "/static/img/logo.svg"} <= cached
    names = page.evaluate("caches.keys()")
    assert len(names) == 1 and names[0].startswith("myba-static-")


@pytest.mark.e2e
def test_without_network_a_page_visit_shows_the_offline_page(page, live_server):
    page.goto("/")
    wait_for_worker(page)

    page.context.set_offline(True)
    try:
        response = page.goto("/pricing/")
        assert response.ok
        assert response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text("You’re offline")
        expect(page.get_by_text(OFFLINE_TEXT)).to_be_visible()
        expect(page.get_by_role("link", name="Try again")).to_have_attribute("href", "/")
        # Drawn with the site's stylesheet, from the cache.
        assert page.evaluate(
            "getComputedStyle(document.querySelector('.btn-primary')).backgroundColor"
        ) not in ("", "rgba(0, 0, 0, 0)")
    finally:
        page.context.set_offline(False)

    page.get_by_role("link", name="Try again").click()
    expect(page).to_have_url(f"{live_server.url}/")  # back online: the real home page
    expect(page.locator("[data-offline]")).to_have_count(0)


@pytest.mark.e2e
def test_signed_in_pages_are_never_kept_in_a_cache(page, live_server, verified_user):
    sign_in_browser_as(page, live_server, verified_user)
    page.goto("/")
    wait_for_worker(page)

    # Pages and fragments a signed-in person sees, fetched through the worker.
    for path in ("/tickets/", "/account/settings/", "/"):
        response = page.goto(path)
        assert response.ok, path
        assert response.from_service_worker, path
    page.evaluate("fetch('/tickets/', { headers: { 'HX-Request': 'true' } })")
    page.wait_for_load_state("networkidle")

    entries = page.evaluate(CACHE_CONTENTS)
    paths = {entry["path"] for entry in entries}
    assert not paths & {"/", "/tickets/", "/account/settings/"}
    html = [entry for entry in entries if entry["type"].startswith("text/html")]
    assert [entry["path"] for entry in html] == ["/offline/"]
    assert verified_user.email not in html[0]["text"]
    # Everything else kept is a static file.
    assert all(entry["path"].startswith("/static/") for entry in entries if entry not in html)


@pytest.mark.e2e
def test_chromium_finds_the_site_installable(page, live_server):
    page.goto("/")
    wait_for_worker(page)

    href = page.locator("head link[rel=manifest]").get_attribute("href")
    manifest = page.evaluate("async (href) => (await fetch(href)).json()", href)
    assert manifest["name"] and manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    # The worker has a fetch handler: it answers page visits itself.
    response = page.goto("/pricing/")
    assert response.from_service_worker

    # Chromium's own installability check (what makes it offer "Install MyBA").
    session = page.context.new_cdp_session(page)
    errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A test browser context is off the record, which Chromium never installs from; that is
    # the browser's profile, not the site.
    assert [error["errorId"] for error in errors if error["errorId"] != "in-incognito"] == []
    manifest_seen = session.send("Page.getAppManifest")
    assert manifest_seen["url"] == f"{live_server.url}/manifest.webmanifest"
    assert manifest_seen["errors"] == []
