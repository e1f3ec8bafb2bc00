"""Who may call what on ``ledger serve`` (interfaces §3; domain W2, W6, W7, W10),
walked over the application's own route table so that a new endpoint cannot escape:
every route carries one access tag, and every route of a tag gets that tag's checks.

Requests go to the real server of the ``web`` fixture (the demo ledger, the test
OpenID provider, uvicorn); the route table is read from an app built the same way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from tests.e2e.http_cases import (
    ACCESS_TAGS,
    FORMS,
    FRAMEWORK,
    SAMPLES,
    Endpoint,
    access_log_lines,
    endpoints,
    event_count,
)
from tests.e2e.web import BRANCH, DEBTOR, HEAD_OFFICE, STRANGER, WRITER, Web

HTML = {"accept": "text/html"}
CSRF_REFUSED = "CSRF token is missing or wrong"
# What a debtor's own sample answers, where not 200: DEBTOR is not clear (V2), and a
# notice's PDF waits for its opening (W8).
OWN_STATUS = {"GET /api/v1/debtors/{afm}/clearance.pdf": 409, "GET /clearance.pdf": 409, "GET /notices/{n}.pdf": 409,
              "GET /api/v1/notices/{notice_id}.pdf": 409}


@pytest.fixture(scope="module")
def routes(web: Web) -> list[Endpoint]:
    return endpoints(web)


@pytest.fixture(scope="module")
def clients(web: Web) -> Iterator[dict[str, httpx.Client]]:
    """Signed-in sessions, one per user, for the read-only checks."""
    found = {sub: web.sign_in(sub) for sub in ("debtor", "auditor", "operator")}
    yield found
    for client in found.values():
        client.close()


def fail_on(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_every_route_carries_exactly_one_access_tag(routes: list[Endpoint]) -> None:
    """A route with no access tag, two, or a tag not known would escape the walks below."""
    assert len(routes) > 30  # the walk found the included routers' routes, not only the app's own
    problems = [f"{e}: tags {list(e.tags)}, want exactly one of {ACCESS_TAGS}"
                for e in routes if e.path not in FRAMEWORK and (not e.api or not e.access)]
    fail_on(problems)


def test_every_path_parameter_and_post_has_samples(routes: list[Endpoint]) -> None:
    """New routes must be added to ``http_cases.SAMPLES`` and ``FORMS`` to be walked."""
    problems = [f"{e}: path parameter {p!r} has no entry in http_cases.SAMPLES"
                for e in routes for p in e.params if p not in SAMPLES and e.path not in FRAMEWORK]
    problems += [f"{e}: no form in http_cases.FORMS" for e in routes if e.method == "POST" and e.path not in FORMS]
    fail_on(problems)


def test_the_walk_covers_every_tag(routes: list[Endpoint]) -> None:
    by_tag = {tag: [str(e) for e in routes if e.access == tag] for tag in ACCESS_TAGS}
    assert "GET /api/v1/debtors/{afm}/debt-table" in by_tag["debtor"]
    assert "GET /notices/{n}.pdf" in by_tag["debtor"]
    assert "GET /api/v1/suspense" in by_tag["staff"] and "GET /audit/" in by_tag["staff"]
    assert "POST /operator/suspense/assign" in by_tag["operator"]
    assert "GET /healthz" in by_tag["public"]


# -- 401 without a session --------------------------------------------------------------------


def test_401_without_a_session_or_with_a_garbage_bearer_token(web: Web, routes: list[Endpoint]) -> None:
    """Every non-public route and method: no session, 401; a bearer token the provider
    does not know, 401 too (interfaces §3)."""
    problems = []
    walked = 0
    with httpx.Client(base_url=web.base, timeout=30) as anonymous:
        for e in routes:
            if e.access in ("public", "") or e.path in FRAMEWORK:
                continue
            walked += 1
            for headers, who in (({}, "no session"), ({"Authorization": "Bearer not-a-token"}, "garbage bearer"),
                                 (HTML, "no session, a browser")):
                answer = anonymous.request(e.method, e.url(), headers=headers, data=FORMS.get(e.path))
                if answer.status_code != 401:
                    problems.append(f"{e} ({who}): {answer.status_code}, want 401")
    assert walked > 25
    fail_on(problems)


# -- 403 for the wrong role ------------------------------------------------------------------------


def test_403_for_staff_and_operator_routes_as_a_debtor(routes: list[Endpoint],
                                                       clients: dict[str, httpx.Client]) -> None:
    """A debtor (its CSRF token sent) on a staff or operator route: 403 for the role,
    not for the token (interfaces §3)."""
    problems = []
    for e in routes:
        if e.access not in ("staff", "operator"):
            continue
        answer = clients["debtor"].request(e.method, e.url(), data=FORMS.get(e.path))
        detail = answer.json().get("detail", "") if answer.status_code == 403 else ""
        if answer.status_code != 403 or "staff" not in detail and "operator" not in detail:
            problems.append(f"{e} as a debtor: {answer.status_code} {answer.text[:120]}, want 403 for the role")
    fail_on(problems)


def test_403_for_operator_routes_as_the_auditor(routes: list[Endpoint], clients: dict[str, httpx.Client]) -> None:
    problems = []
    for e in routes:
        if e.access != "operator":
            continue
        answer = clients["auditor"].request(e.method, e.url(), data=FORMS.get(e.path))
        if answer.status_code != 403 or "operator" not in answer.json().get("detail", ""):
            problems.append(f"{e} as the auditor: {answer.status_code} {answer.text[:120]}, want 403 for the role")
    fail_on(problems)


def test_each_route_answers_the_user_it_is_for(routes: list[Endpoint], clients: dict[str, httpx.Client]) -> None:
    """The other side of the 401s and 403s: every GET answers its own kind of user
    (debtor routes the debtor, staff routes the auditor, operator routes the operator)."""
    problems = []
    for e in routes:
        if e.method != "GET" or e.access not in ("debtor", "staff", "operator"):
            continue
        who = {"debtor": "debtor", "staff": "auditor", "operator": "operator"}[e.access]
        answer = clients[who].get(e.url())
        want = OWN_STATUS.get(str(e), 200)
        if answer.status_code != want:
            problems.append(f"{e} as the {who}: {answer.status_code} {answer.text[:120]}, want {want}")
    fail_on(problems)


# -- W7: another debtor's object is a non-existent one ----------------------------------------------


def placeholder(text: str, value: str, param: str) -> str:
    """``text`` with ``value`` as a whole word (not inside a token or a date) replaced by ``{param}``."""
    return re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "{" + param + "}", text)


def test_w7_another_debtors_object_answers_as_one_that_does_not_exist(
        web: Web, routes: list[Endpoint], clients: dict[str, httpx.Client]) -> None:
    """W7, for every debtor route with a path parameter: OTHER's ΑΦΜ, arrangement or
    notice answers exactly as a made-up one: 404, the same content type and the same
    body once the identifier is replaced, for JSON and for a browser alike."""
    debtor = clients["debtor"]
    before = event_count(web)
    problems = []
    walked = set()
    for e in routes:
        if e.access != "debtor" or not e.params:
            continue
        for param in e.params:
            walked.add(param)
            sample = SAMPLES[param]
            for headers in ({}, HTML):
                answers = {which: debtor.request(e.method, e.url(**{param: getattr(sample, which)}), headers=headers)
                           for which in ("other", "unknown")}
                shown = {which: placeholder(a.text, getattr(sample, which), param) for which, a in answers.items()}
                kinds = {which: a.headers.get("content-type") for which, a in answers.items()}
                label = f"{e} [{param}] {'HTML' if headers else 'JSON'}"
                if {a.status_code for a in answers.values()} != {404}:
                    problems.append(f"{label}: other {answers['other'].status_code}, "
                                    f"unknown {answers['unknown'].status_code}, want 404 for both")
                elif shown["other"] != shown["unknown"] or kinds["other"] != kinds["unknown"]:
                    diff = difflib.unified_diff(shown["other"].splitlines(), shown["unknown"].splitlines(), "other",
                                                "unknown", n=0, lineterm="")
                    problems.append(f"{label}: the answers differ ({kinds}):\n" + "\n".join(list(diff)[:12]))
    assert walked == {"afm", "id", "notice_id", "n"}
    fail_on(problems)
    assert event_count(web) == before  # opening another's notice recorded nothing


def test_w7_a_head_office_sees_its_branch_and_the_branch_not_its_head_office(web: Web) -> None:
    """W7, D1: the head office's session reads its branch unit's debt table and
    clearance; the branch's does not read the head office's, which answers as an ΑΦΜ
    that does not exist."""
    with closing(web.sign_in("head-office")) as head, closing(web.sign_in("branch")) as branch:
        for view in ("debt-table", "clearance", "notices"):
            seen = head.get(f"/api/v1/debtors/{BRANCH}/{view}")
            assert seen.status_code == 200, (view, seen.text)
            assert branch.get(f"/api/v1/debtors/{BRANCH}/{view}").json() == seen.json()
            hidden = branch.get(f"/api/v1/debtors/{HEAD_OFFICE}/{view}")
            unknown = branch.get(f"/api/v1/debtors/{STRANGER}/{view}")
            assert hidden.status_code == unknown.status_code == 404
            assert placeholder(hidden.text, HEAD_OFFICE, "afm") == placeholder(unknown.text, STRANGER, "afm")
        table = head.get(f"/api/v1/debtors/{BRANCH}/debt-table").json()
        assert table["afm"] == BRANCH and table["total_outstanding"] == "479.48"
        assert head.get(f"/api/v1/debtors/{BRANCH}/clearance").json()["clear"] is False
        assert [n["id"] for n in head.get(f"/api/v1/debtors/{BRANCH}/notices").json()] == [
            "INF-410000254-IKA", "INV-410000254-20210301"]
        # The head office's own page lists its unit's table after its own.
        page = head.get("/debt-table").text
        assert HEAD_OFFICE in page and BRANCH in page and page.index(HEAD_OFFICE) < page.index(BRANCH)
        assert HEAD_OFFICE not in branch.get("/debt-table").text


# -- 422: the field named ---------------------------------------------------------------------


def test_422_for_a_malformed_afm_names_afm(routes: list[Endpoint], clients: dict[str, httpx.Client]) -> None:
    """A malformed ΑΦΜ (bad check digit, too short, not digits): 422 naming ``afm``, for
    a debtor as for an operator, before anyone is asked whether it may see it."""
    problems = []
    for e in routes:
        if "afm" not in e.params or e.method != "GET":
            continue
        who = "operator" if e.access == "operator" else "debtor"
        for bad in ("100000016", "12345", "abcdefghi"):
            answer = clients[who].get(e.url(afm=bad))
            loc = answer.json()["detail"][0]["loc"] if answer.status_code == 422 else None
            if answer.status_code != 422 or "afm" not in loc:
                problems.append(f"{e} afm={bad} as {who}: {answer.status_code} {answer.text[:150]}, want 422 on afm")
    fail_on(problems)


def test_422_for_a_bad_as_of_names_as_of_for_staff(routes: list[Endpoint], clients: dict[str, httpx.Client]) -> None:
    """Every route with ``as_of``, as the operator: an impossible date is 422 naming
    ``as_of``; so is one outside the plausible dates, as the CLI's ``--as-of`` (the
    year 9999 once overflowed the replay into a 500)."""
    problems = []
    with_as_of = [e for e in routes if "as_of" in e.queries]
    assert {"GET /api/v1/debtors/{afm}/debt-table", "GET /api/v1/arrangements/{id}",
            "GET /operator/debtors/{afm}"} <= {str(e) for e in with_as_of}
    for e in with_as_of:
        bad_dates = ["2023-13-01", "yesterday"]
        if "audit" not in e.path:
            bad_dates.append("9999-12-31")
        for bad in bad_dates:
            answer = clients["operator"].request(e.method, e.url(), params={"as_of": bad})
            loc = answer.json()["detail"][0]["loc"] if answer.status_code == 422 else []
            if answer.status_code != 422 or loc[-1:] != ["as_of"]:
                problems.append(f"{e} as_of={bad}: {answer.status_code} {answer.text[:150]}, want 422 on as_of")
    fail_on(problems)


def test_w2_a_debtors_as_of_is_ignored(web: Web, routes: list[Endpoint], clients: dict[str, httpx.Client]) -> None:
    """W2: a debtor gets today's views; ``as_of`` changes nothing. The operator's
    ``as_of`` does change them (the test could fail)."""
    debtor_routes = [e for e in routes if e.access == "debtor" and e.method == "GET" and "as_of" in e.queries]
    assert len(debtor_routes) >= 3
    for e in debtor_routes:
        today = clients["debtor"].get(e.url())
        back_then = clients["debtor"].get(e.url(), params={"as_of": "2021-01-01"})
        assert today.status_code == back_then.status_code == 200, (str(e), back_then.text)
        assert back_then.content == today.content, str(e)
        assert today.json()["as_of"] == "2022-12-31"
    staff_view = clients["operator"].get(f"/api/v1/debtors/{DEBTOR}/debt-table", params={"as_of": "2021-01-01"})
    assert staff_view.json()["as_of"] == "2021-01-01" and staff_view.json()["total_outstanding"] == "426.88"


# -- CSRF -------------------------------------------------------------------------------------------


def test_a_post_with_a_session_but_no_or_a_wrong_csrf_token_is_refused(web: Web, routes: list[Endpoint]) -> None:
    """Every POST, with a session (WRITER's or the operator's) and a valid form, but no
    CSRF token, a wrong one in the header or a wrong one in the form: 403, nothing
    recorded, and the session still open (not even ``/logout`` went through)."""
    posts = [e for e in routes if e.method == "POST"]
    assert {"/logout", "/apply", "/api/v1/notices/{notice_id}/open", "/operator/suspense/assign"} <= {
        e.path for e in posts}
    before = event_count(web)
    problems = []
    with closing(web.sign_in("writer")) as writer, closing(web.sign_in("operator")) as operator:
        for client in (writer, operator):
            del client.headers["x-csrf-token"]
        for e in posts:
            client = operator if e.access in ("staff", "operator") else writer
            url = e.url("writer")
            for how, headers, form in (("none", {}, {}), ("wrong header", {"x-csrf-token": "wrong"}, {}),
                                       ("wrong form field", {}, {"csrf": "wrong"})):
                answer = client.post(url, headers=headers, data={**FORMS[e.path], **form})
                if answer.status_code != 403 or CSRF_REFUSED not in answer.text:
                    problems.append(f"{e} CSRF {how}: {answer.status_code} {answer.text[:150]}, want 403")
        fail_on(problems)
        assert event_count(web) == before
        for client in (writer, operator):
            assert client.get("/api/v1/me").status_code == 200  # the refused /logout ended nothing
        # The right token in the form field (as the page's form sends it) goes through:
        # WRITER's first notice is opened, so the refusals above were the token's.
        token = web.csrf(writer)
        opened = writer.post("/notices/1/open", data={"csrf": token})
        assert opened.status_code == 303 and opened.headers["location"] == "/notices/1"
    assert event_count(web) > before
    first = web.cli_json("show", "notices", WRITER)[0]
    assert first["id"] == "INF-100000039-OGA" and first["opened_on"] == "2022-12-31"


# -- sign-in, sign-out and the access log (W6, W10) ----------------------------------------------------


def callback_page(web: Web, sub: str) -> tuple[httpx.Client, httpx.Response]:
    """The real code flow for ``sub``, the callback's answer as a browser gets it."""
    client = httpx.Client(base_url=web.base, timeout=30)
    start = client.get("/login")
    at_provider = httpx.post(start.headers["location"], data={"sub": sub}, timeout=30)
    return client, client.get(at_provider.headers["location"], headers=HTML)


@pytest.mark.parametrize(("sub", "reason"), [
    ("stranger", f"ο ΑΦΜ {STRANGER} δεν είναι οφειλέτης του ΚΕΑΟ"),  # the page is Greek, its reason too
    ("no-afm", "η υπηρεσία ταυτοποίησης δεν έδωσε ΑΦΜ (πεδίο &#39;taxid&#39;) ούτε ρόλο προσωπικού"),
])
def test_w6_a_sign_in_that_is_no_keao_debtor_gets_a_403_page_saying_why(web: Web, sub: str, reason: str) -> None:
    """W6: a valid ΑΦΜ that is no debtor, or no ΑΦΜ at all and no role: a 403 page with
    the reason, and no session."""
    client, answer = callback_page(web, sub)
    with closing(client):
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("text/html")
        assert "Η εγγραφή δεν είναι δυνατή" in answer.text and reason in answer.text
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/debt-table").status_code == 401


def test_logout_ends_the_session_on_the_server(web: Web) -> None:
    """``POST /logout`` (with its CSRF token): the old cookie, replayed, is worth nothing."""
    client = web.sign_in("other")
    with closing(client):
        assert client.get("/api/v1/me").status_code == 200
        cookies = dict(client.cookies)
        assert "keao_session" in cookies
        answer = client.post("/logout")
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        assert client.get("/api/v1/me").status_code == 401
    with httpx.Client(base_url=web.base, cookies=cookies, timeout=30) as replay:
        assert replay.get("/api/v1/me").status_code == 401
        assert replay.get("/debt-table").status_code == 401


def test_w10_the_access_log_has_the_login_and_the_views_and_no_afm_in_a_debtor_page_url(web: Web) -> None:
    """W10: the login and each view are JSON lines of the access log (kept apart from
    the events); the debtor pages' URLs, and their links and forms, hold no ΑΦΜ."""
    pages = ["/", "/debt-table", "/arrangements", "/notices", "/notices/1", "/clearance", "/apply"]
    with closing(web.sign_in("head-office")) as head:
        links: set[str] = set()
        for path in pages:
            answer = head.get(path)
            assert answer.status_code == 200, (path, answer.text[:200])
            links |= set(re.findall(r'(?:href|action)="([^"]*)"', answer.text))
    assert {"/notices/1", "/debt-table", "/logout"} <= links
    for link in links:
        assert HEAD_OFFICE not in link and BRANCH not in link, link

    def logged(entries: list[dict]) -> bool:
        mine = [e for e in entries if e.get("subject") == "head-office"]
        return any(e["event"] == "login" for e in mine) and {p for p in pages} <= {
            e["path"] for e in mine if e["event"] == "view"}

    entries = access_log_lines(web, logged)
    assert logged(entries), entries[-10:]
    login = next(e for e in entries if e.get("subject") == "head-office" and e["event"] == "login")
    assert login["path"] == "/auth/callback" and login["status"] == 303 and login["afm"] == HEAD_OFFICE
    view = next(e for e in entries if e.get("subject") == "head-office" and e["path"] == "/debt-table")
    assert view["method"] == "GET" and view["status"] == 200 and view["roles"] == []
    for e in entries:  # every page a debtor was shown, by any test so far
        if e.get("afm") and e["status"] < 400 and not e["path"].startswith("/api/"):
            assert not re.search(r"\d{9}", e["path"]), e  # a debtor's page: never an ΑΦΜ in its URL
