"""What the web records, and as whom (O1): a debtor's opening is a notice's delivery
(W8), and until then the debtor sees what the notice is, not what it says; an
operator's post delivery. Each event names the signed-in user as its actor."""

from __future__ import annotations


from tests.e2e.web import SEALED


def unopened(web, afm):
    return [n for n in web.cli_json("show", "notices", afm)
            if n["kind"] == "invitation" and n["opened_on"] is None and n["delivered_on"] is None]


def test_w8_a_debtor_sees_an_unopened_notice_sealed_and_opening_it_delivers_it_as_the_debtor(web):
    client = web.sign_in("sealed")
    first, second, *_ = unopened(web, SEALED)
    listed = {n["id"]: n for n in client.get(f"/api/v1/debtors/{SEALED}/notices").json()}
    assert (listed[first["id"]]["items"], listed[first["id"]]["total"]) == ([], None)  # sealed
    assert listed[first["id"]]["issued_on"] == first["issued_on"]
    refused = client.get(f"/api/v1/notices/{first['id']}.pdf")
    assert refused.status_code == 409 and "open it first" in refused.json()["detail"][0]["msg"]
    opened = client.post(f"/api/v1/notices/{first['id']}/open").json()
    # the demo's business date is 2022-12-31 (a Saturday): the 30 days run to 2023-01-30 (N4)
    assert (opened["channel"], opened["delivered_on"], opened["opened_on"], opened["deadline"]) == (
        "electronic", "2022-12-31", "2022-12-31", "2023-01-30")
    assert opened["total"] == first["total"] and opened["items"] == first["items"]
    assert client.get(f"/api/v1/notices/{first['id']}.pdf").content.startswith(b"%PDF")
    trail = web.cli_json("audit", first["id"])
    assert [(e["type"], e["payload"]["actor"]) for e in trail[1:]] == [("Delivered", "web:sealed"),
                                                                       ("Opened", "web:sealed")]
    # the operator's post delivery of the second, recorded as the operator
    operator = web.sign_in("operator")
    done = operator.post("/operator/notices/deliver", data={"notice_id": second["id"], "proof": "ΕΛΤΑ RR 42",
                                                            "csrf": operator.headers["x-csrf-token"]})
    assert done.status_code == 303
    [delivered] = [e for e in web.cli_json("audit", second["id"]) if e["type"] == "Delivered"]
    assert (delivered["payload"]["channel"], delivered["payload"]["proof"], delivered["payload"]["actor"]) == (
        "post", "ΕΛΤΑ RR 42", "web:operator")


def test_every_response_carries_the_security_headers_and_no_debtor_data_is_cached(web):
    client = web.sign_in("sealed")
    for path in ("/", f"/api/v1/debtors/{SEALED}/debt-table", "/api/v1/me"):
        headers = client.get(path).headers
        assert headers["cache-control"] == "no-store", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
    assert "no-store" not in client.get("/static/site.css").headers.get("cache-control", "")
