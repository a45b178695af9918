"""The HTTP endpoints of PROTOCOL.md 1.2: /health, /ws/stats, /api/v1/ws/stats, /openapi.json and /.

These run unchanged against the real backend (--backend-url) and against wsmock (deployed profile).
"""

import datetime as dt

import pytest

from wsproto_helpers import (
    MOCK_TZ_OFFSET, assert_json_response, check_ts_format, jdump, norm, run, timestamps_in, utc_now,
    ws_connect,
)

EMPTY_WS = ('{"total_connections":0,"total_rooms":0,"total_subscriptions":0,"rooms":[],"room_client_count":{},'
            '"topics":[],"topic_subscriber_count":{}}')
EMPTY_BROADCASTER = ('{"workflow_subscriptions":0,"agent_subscriptions":0,"total_agent_rooms":0,"buffered_rooms":0,'
                     '"total_buffered_messages":0,"workflows":[],"agents":[]}')


# ========================================================================================================
# /health


def test_health_exact_shape(backend):
    r = backend.get("/health")
    assert_json_response(r, 200)
    assert norm(r.text) == '{"status":"healthy","version":"3.0.0","timestamp":"<ts>","database":"connected"}'
    assert list(r.json()) == ["status", "version", "timestamp", "database"]


def test_health_timestamp_is_naive_local_time(backend):
    """datetime.now().isoformat(): local time, naive, no Z. wsmock runs with TZ=UTC+05:30 here, so local
    and UTC differ by 5.5 hours and the check can tell them apart."""
    r = backend.get("/health")
    [tok] = timestamps_in(r.text)
    ts = check_ts_format(tok)
    if backend.is_mock:
        want = utc_now() + MOCK_TZ_OFFSET
        assert abs((ts - want).total_seconds()) < 10, "%s is not local time (UTC+05:30 now: %s)" % (tok, want)
    elif backend.host in ("127.0.0.1", "localhost", "::1"):
        # Same machine: the backend's local zone is presumably ours.
        assert abs((ts - dt.datetime.now()).total_seconds()) < 60, tok
    else:
        pytest.skip("remote backend: the zone of its local time is unknown (format checked)")


# ========================================================================================================
# /ws/stats and /api/v1/ws/stats


def test_ws_stats_empty_exact(backend):
    assert_json_response(backend.get("/ws/stats"), 200,
                         '{"websocket":%s,"broadcaster":%s}' % (EMPTY_WS, EMPTY_BROADCASTER))


def test_legacy_stats_empty_exact(backend):
    assert_json_response(backend.get("/api/v1/ws/stats"), 200, EMPTY_WS)


def test_legacy_stats_is_the_bare_websocket_object(backend):
    async def scenario():
        async with ws_connect(backend.ws_url, "/ws/workflow/wf-s") as a, \
                ws_connect(backend.ws_url, "/ws/agent/ag-s") as b, \
                ws_connect(backend.ws_url, "/api/v1/ws/connect") as c:
            for x in (a, b, c):
                await x.recv()
            await c.send({"action": "subscribe", "topic": "stats-topic"})
            await c.expect_raw('{"type":"info","message":"Subscribed to topic: stats-topic"}')
            full = backend.get("/ws/stats")
            bare = backend.get("/api/v1/ws/stats")
            assert_json_response(full, 200)
            assert_json_response(bare, 200)
            assert list(full.json()) == ["websocket", "broadcaster"]
            assert bare.body == jdump(full.json()["websocket"]).encode("utf-8")
            assert bare.body == (b'{"total_connections":3,"total_rooms":2,"total_subscriptions":1,'
                                 b'"rooms":["workflow_wf-s","agent_ag-s"],"room_client_count":{"workflow_wf-s":1,'
                                 b'"agent_ag-s":1},"topics":["stats-topic"],"topic_subscriber_count":'
                                 b'{"stats-topic":1}}')
            assert full.json()["broadcaster"] == {
                "workflow_subscriptions": 1, "agent_subscriptions": 1, "total_agent_rooms": 1, "buffered_rooms": 0,
                "total_buffered_messages": 0, "workflows": ["wf-s"], "agents": ["ag-s"]}
    run(scenario())


# ========================================================================================================
# /openapi.json

WS_HTTP_PATHS = {
    "/api/v1/ws/stats": ("get", "get_websocket_stats_api_v1_ws_stats_get", "Get Websocket Stats"),
    "/api/v1/ws/broadcast": ("post", "broadcast_message_api_v1_ws_broadcast_post", None),
    "/api/v1/ws/publish/{topic}": ("post", "publish_to_topic_api_v1_ws_publish__topic__post", None),
    "/ws/stats": ("get", "get_websocket_stats_ws_stats_get", "Get Websocket Stats"),
    "/ws/client/{client_id}": ("get", "get_client_info_ws_client__client_id__get", "Get Client Info"),
}
WS_ROUTES = ["/ws/workflow/{workflow_id}", "/ws/agent/{agent_name}", "/ws/coordinator", "/api/v1/ws/connect",
             "/api/v1/chat/ws/{thread_id}"]


@pytest.fixture
def openapi(backend):
    r = backend.get("/openapi.json")
    assert_json_response(r, 200)
    return r.json()


def test_openapi_version_and_info(openapi):
    assert openapi["openapi"] == "3.1.0"
    assert openapi["info"]["title"] == "ViMax Video Generation API"
    assert openapi["info"]["version"] == "3.0.0"


@pytest.mark.parametrize("path", list(WS_HTTP_PATHS))
def test_openapi_ws_related_path(openapi, path):
    method, op_id, summary = WS_HTTP_PATHS[path]
    assert path in openapi["paths"], sorted(openapi["paths"])
    item = openapi["paths"][path]
    assert list(item) == [method], item
    op = item[method]
    assert op["operationId"] == op_id
    assert op["tags"] == ["websocket"]
    if summary is not None:
        assert op["summary"] == summary


def test_openapi_ws_paths_are_exactly_the_http_ones(openapi):
    """What the WS-001 report's jq over .paths for "/ws/" can show: only HTTP paths."""
    assert sorted(p for p in openapi["paths"] if "/ws/" in p) == sorted(WS_HTTP_PATHS)


@pytest.mark.parametrize("path", WS_ROUTES)
def test_openapi_has_no_websocket_routes(openapi, path):
    assert path not in openapi["paths"]


def test_openapi_health_operation(openapi):
    assert list(openapi["paths"]["/health"]) == ["get"]
    assert openapi["paths"]["/health"]["get"]["operationId"] == "health_check_health_get"


# ========================================================================================================
# / and unknown paths


def _find_key(obj, key):
    if isinstance(obj, dict):
        if key in obj:
            yield obj[key]
        for v in obj.values():
            yield from _find_key(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from _find_key(v, key)


def test_root_advertises_only_the_legacy_endpoints(backend):
    r = backend.get("/")
    assert_json_response(r, 200)
    body = r.json()
    assert list(_find_key(body, "websocket")) == ["ws://localhost:3001/api/v1/ws/connect"]
    assert list(_find_key(body, "websocket_stats")) == ["/api/v1/ws/stats"]
    assert len(list(_find_key(body, "chat_websocket"))) == 1
    assert '"websocket":"ws://localhost:3001/api/v1/ws/connect"' in r.text
    assert '"websocket_stats":"/api/v1/ws/stats"' in r.text
    for enhanced in ("/ws/workflow", "/ws/agent", "/ws/coordinator", '"/ws/stats"', "/ws/client"):
        assert enhanced not in r.text, "GET / mentions %s" % enhanced


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/ws/nope/deeper", "/health/x",
                                  "/__not_mock__/journal"])
def test_unknown_path_is_404(backend, path):
    assert_json_response(backend.get(path), 404, '{"detail":"Not Found"}')


@pytest.mark.parametrize("path", ["/health", "/ws/stats", "/api/v1/ws/stats", "/openapi.json", "/"])
def test_json_answers_carry_uvicorn_headers(backend, path):
    """date, server: uvicorn, content-length, content-type: application/json, and nothing else."""
    assert_json_response(backend.get(path), 200)
