"""The charts as images for articles: /v1/charts/{name}.png|.svg, rendered by vl-convert on the
real server (no browser needed)."""

from __future__ import annotations

import struct

import pytest

from tests.e2e.conftest import Service

pytestmark = pytest.mark.slow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(body: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG must start with."""
    assert body[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", body[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", body[16:24])


@pytest.mark.parametrize("name", ["released-hostages", "schedule-hostages", "nationality"])
def test_a_chart_is_a_valid_png_of_sensible_size(service: Service, name: str):
    answer = service.public.get(f"/v1/charts/{name}.png")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/png"
    width, height = png_size(answer.content)
    assert 300 <= width <= 3000
    assert 200 <= height <= 3000
    assert answer.headers["ETag"]


def test_a_chart_is_an_svg_with_its_marks(service: Service):
    answer = service.public.get("/v1/charts/released-detainees.svg?as_of=2100-01-01T00:00:00Z")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg")
    assert "Detainees released, cumulative" in answer.text


def test_the_spec_behind_the_images_carries_the_totals(service: Service):
    spec = service.public.get("/v1/charts/released-hostages.json?party=Hamas").json()
    days = service.public.get("/v1/totals?population=hostages&kind=released&party=Hamas").json()
    drawn = {row["date"]: (row["low"], row["high"]) for row in spec["data"]["values"]}
    assert drawn == {
        d["date"]: (d["cumulative"]["low"], d["cumulative"]["high"]) for d in days["days"]
    }


def test_unknown_charts_and_bad_filters_are_refused(service: Service):
    assert service.public.get("/v1/charts/pie.png").status_code == 404
    answer = service.public.get("/v1/charts/nationality.png?population=cats")
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_the_chart_route_is_documented(service: Service):
    path = service.public.get("/openapi.json").json()["paths"]["/v1/charts/{name}.{fmt}"]
    name = next(p for p in path["parameters"] if p["name"] == "name")
    assert "released-hostages" in name["schema"]["enum"]
    assert set(path["get"]["responses"]["200"]["content"]) == {
        "image/png",
        "image/svg+xml",
        "application/json",
    }
