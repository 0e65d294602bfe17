"""st.login through a real OpenID Connect provider, in a real browser.

The test starts two processes on localhost: the provider (``oidc_provider.py``: discovery, login
form, one-time codes with PKCE, RS256 id_token checked against its JWKS) and ``streamlit run app.py``
with an ``[auth]`` secrets file pointing at it. Headless Chromium then does what a person does:
opens the app, sees only the login page, presses the login button, signs in on the provider's page,
comes back to the app logged in with the role and team of the account of that e-mail, and saves a
scenario that the database then records under that identity and team. A person the provider knows
but the database does not comes back as a viewer who cannot save.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import urllib.request

import pytest

from storage.access import Actor
from storage.store import SAMPLE_NAME, Store

from ..support.browser import ROOT, Server, free_port, wait_idle

CLIENT_ID, CLIENT_SECRET = "retrofit-app", secrets.token_urlsafe(16)
ANN, STRANGER, PASSWORD = "ann@example.com", "sam@example.com", "provider-password"


@pytest.fixture(scope="module")
def oidc_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc")
    app_port, provider_port = free_port(), free_port()
    redirect = f"http://127.0.0.1:{app_port}/oauth2callback"
    log = open(folder / "provider.log", "w")
    provider = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "e2e" / "oidc_provider.py"), "--port", str(provider_port),
         f"--client-id={CLIENT_ID}", f"--client-secret={CLIENT_SECRET}", f"--redirect-uri={redirect}",
         "--user", f"{ANN}:{PASSWORD}:Ann", "--user", f"{STRANGER}:{PASSWORD}:Sam"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    issuer = f"http://127.0.0.1:{provider_port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2).read()
            break
        except OSError:
            if time.time() > deadline or provider.poll() is not None:
                provider.kill()
                pytest.fail(f"the provider did not start: {(folder / 'provider.log').read_text()}")
            time.sleep(0.2)
    store = Store(folder / "e2e.duckdb")
    store.add_user(ANN, "analyst", "A", None, actor=Actor("test", "admin", None))
    store.close()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{redirect}"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n')
    server = Server(folder, ("--secrets.files", str(secrets_file)), port=app_port)
    server.wait_healthy()
    yield server, folder
    server.stop()
    provider.terminate()
    provider.wait(10)
    log.close()


def _sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(url)
    wait_idle(page)
    assert page.locator(".st-key-login_oidc button").count() == 1
    assert page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").count() == 0  # no data yet
    page.locator(".st-key-login_oidc button").click()
    page.wait_for_selector("#username", timeout=30_000)  # the provider's own login page
    assert page.url.startswith("http://127.0.0.1:") and "/authorize" in page.url and "code_challenge=" in page.url
    page.fill("#username", email)
    page.fill("#password", password)
    page.click("#submit")


def test_st_login_round_trip_through_a_real_provider_gives_the_accounts_role(oidc_app, browser):
    server, folder = oidc_app
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        _sign_in(page, server.url, ANN, "wrong password")
        page.wait_for_selector("#message")  # the provider refused it: still on its page
        assert "Wrong" in page.inner_text("#message")
        page.fill("#username", ANN)
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_url(f"{server.url}/**", timeout=60_000)  # back in the app
        page.wait_for_selector("[data-testid='stSidebar']", timeout=60_000)
        wait_idle(page)
        sidebar = page.inner_text("[data-testid='stSidebar']")
        assert ANN in sidebar and "分析员" in sidebar and "团队 A" in sidebar, sidebar
        assert "Traceback" not in page.content()
        page.goto(f"{server.url}/saved-scenarios")
        wait_idle(page)
        page.locator(".st-key-scenario_name input").fill("ann's plan")
        page.locator(".st-key-scenario_name input").press("Enter")
        wait_idle(page)
        page.locator(".st-key-save_scenario button").click()
        page.wait_for_selector("text=ann's plan", timeout=90_000)
        wait_idle(page)
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        _sign_in(page, server.url, STRANGER, PASSWORD)
        page.wait_for_url(f"{server.url}/**", timeout=60_000)
        page.wait_for_selector("[data-testid='stSidebar']", timeout=60_000)
        wait_idle(page)
        sidebar = page.inner_text("[data-testid='stSidebar']")
        assert STRANGER in sidebar and "查看者" in sidebar, sidebar
        page.goto(f"{server.url}/saved-scenarios")
        wait_idle(page)
        buttons = page.locator(".st-key-save_scenario button").all()  # a disabled button with help renders twice
        assert buttons and all(b.is_disabled() for b in buttons)
        assert "查看者只能浏览和求解" in page.inner_text("[data-testid='stMain']")
    finally:
        context.close()
    server.stop()  # the server's lock on the file goes with it
    store = Store(server.db, seed=False)
    try:
        assert store.scenario_owners(SAMPLE_NAME) == {"ann's plan": ("A", ANN)}
        log = store.audit_log()
        assert list(log.query("action == 'save scenario'")["user_name"]) == [ANN]
    finally:
        store.close()
    provider_log = (folder / "provider.log").read_text()
    assert "POST /token" in provider_log and "GET /jwks" in provider_log, provider_log
