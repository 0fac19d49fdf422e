from tests.support.api import Api


def test_health_over_http(http: Api) -> None:
    assert http.call("GET", "/health").body == {"status": "ok"}
