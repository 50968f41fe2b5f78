"""/api/openapi.json is a valid OpenAPI 3.1 document that covers every /api route."""

from __future__ import annotations

import jsonschema_rs  # installed with schemathesis

from tuchuang.protocol.openapi import spec


def test_served_and_complete(app) -> None:
    doc = app.web.get("/api/openapi.json").json
    assert doc["openapi"] == "3.1.0" and doc == spec()
    paths = set(doc["paths"])
    for endpoint in ("reg", "login", "md5", "upload", "myfiles", "dealfile", "sharefiles", "dealsharefile", "sharepic"):
        assert f"/api/{endpoint}" in paths
        assert app.web.post(f"/api/{endpoint}", b"{}", expect_errors=True).status_int == 200  # a real route


def test_response_schemas_are_valid_json_schema() -> None:
    for item in spec()["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                for content in response.get("content", {}).values():
                    jsonschema_rs.meta.validate(content["schema"])
