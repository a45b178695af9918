// messages.test -- frame parsing and normalisation of coordinator_metrics, agent_status and progress in the real backend's shapes and the original page's.
import { describe, expect, it } from "vitest";
import {
  mergeAgent,
  normalizeAgentMetrics,
  normalizeAgentStatus,
  normalizeCoordinatorMetrics,
  normalizeProgress,
  parseBackendTimestamp,
  parseFrame,
  WsObject,
} from "./messages";

/** Parses a frame text exactly as it arrives on the wire (the PROTOCOL.md examples are copied byte for byte). */
function frame(text: string): WsObject {
  const r = parseFrame(text);
  if (!r.ok) throw new Error(r.error);
  return r.message;
}

const RECEIVED = new Date("2026-01-01T00:00:00Z");

describe("parseFrame", () => {
  it("accepts a JSON object with a string type", () => {
    expect(parseFrame('{"type":"pong"}')).toEqual({ ok: true, message: { type: "pong" } });
  });

  it("rejects invalid JSON, non-objects and a missing type", () => {
    expect(parseFrame("{nope").ok).toBe(false);
    expect(parseFrame("[1,2]").ok).toBe(false);
    expect(parseFrame("null").ok).toBe(false);
    expect(parseFrame('"ping"').ok).toBe(false);
    expect(parseFrame('{"message":"x"}').ok).toBe(false);
    expect(parseFrame('{"type":5}').ok).toBe(false);
  });
});

describe("parseBackendTimestamp", () => {
  it("reads the backend's naive timestamps as UTC", () => {
    expect(parseBackendTimestamp("2026-11-25T19:49:44.657641")?.toISOString()).toBe("2026-11-25T19:49:44.657Z");
    expect(parseBackendTimestamp("2026-11-25T19:49:44")?.toISOString()).toBe("2026-11-25T19:49:44.000Z");
  });

  it("honours an explicit zone", () => {
    expect(parseBackendTimestamp("2026-11-25T19:49:44+02:00")?.toISOString()).toBe("2026-11-25T17:49:44.000Z");
    expect(parseBackendTimestamp("2026-11-25T19:49:44.5Z")?.toISOString()).toBe("2026-11-25T19:49:44.500Z");
  });

  it("returns null for anything else", () => {
    expect(parseBackendTimestamp("yesterday")).toBeNull();
    expect(parseBackendTimestamp("")).toBeNull();
    expect(parseBackendTimestamp(null)).toBeNull();
    expect(parseBackendTimestamp({})).toBeNull();
  });
});

describe("normalizeCoordinatorMetrics", () => {
  it("reads the real backend's top-level reply (connect / get_metrics, no timestamp)", () => {
    const m = normalizeCoordinatorMetrics(
      frame('{"type":"coordinator_metrics","total_messages":0,"total_workflows":0,"registered_agents":1,"healthy_agents":1,"active_workflows":0,"queue_size":0,"dead_letters":0}'),
    );
    expect(m).toEqual({
      shape: "top-level",
      totalAgents: 1,
      activeWorkflows: 0,
      completedWorkflows: undefined,
      failedWorkflows: undefined,
      healthyAgents: 1,
      totalWorkflows: 0,
      totalMessages: 0,
      queueSize: 0,
      deadLetters: 0,
      timestamp: null,
    });
  });

  it("reads the real backend's broadcast (timestamp second)", () => {
    const m = normalizeCoordinatorMetrics(
      frame('{"type":"coordinator_metrics","timestamp":"2026-11-25T19:49:48.292677","total_messages":12,"total_workflows":2,"registered_agents":1,"healthy_agents":1,"active_workflows":1,"queue_size":0,"dead_letters":0}'),
    );
    expect(m?.shape).toBe("top-level");
    expect(m?.totalAgents).toBe(1);
    expect(m?.activeWorkflows).toBe(1);
    expect(m?.totalMessages).toBe(12);
    expect(m?.timestamp?.toISOString()).toBe("2026-11-25T19:49:48.292Z");
    expect(m?.agents).toBeUndefined();
  });

  it("reads the nested shape the original page expected, with its agents map", () => {
    const m = normalizeCoordinatorMetrics(
      frame(
        JSON.stringify({
          type: "coordinator_metrics",
          metrics: {
            total_agents: 2,
            active_workflows: 1,
            completed_workflows: 5,
            failed_workflows: 1,
            agents: {
              screenwriter: {
                status: "busy",
                capabilities: ["develop_story", "write_script"],
                currentTask: "write_script",
                metrics: { tasks_completed: 4, tasks_failed: 1, avg_response_time: 1234.4, uptime: 3725 },
                lastUpdate: "2026-11-25T19:00:00",
              },
              critic: { status: "idle" },
            },
          },
        }),
      ),
      RECEIVED,
    );
    expect(m?.shape).toBe("nested");
    expect([m?.totalAgents, m?.activeWorkflows, m?.completedWorkflows, m?.failedWorkflows]).toEqual([2, 1, 5, 1]);
    expect(m?.agents).toEqual([
      {
        name: "screenwriter",
        status: "busy",
        capabilities: ["develop_story", "write_script"],
        currentTask: "write_script",
        metrics: { tasksCompleted: 4, tasksFailed: 1, avgResponseTimeMs: 1234.4, uptimeSeconds: 3725 },
        lastUpdate: new Date("2026-11-25T19:00:00Z"),
      },
      // no capabilities: an empty array instead of the original's crash; no lastUpdate: the receive time
      { name: "critic", status: "idle", capabilities: [], currentTask: undefined, metrics: undefined, lastUpdate: RECEIVED },
    ]);
  });

  it("accepts agents as an array of records", () => {
    const m = normalizeCoordinatorMetrics(frame('{"type":"coordinator_metrics","metrics":{"total_agents":1,"agents":[{"name":"a1","status":"error"},{"status":"idle"}]}}'), RECEIVED);
    expect(m?.agents?.map((a) => [a.name, a.status])).toEqual([["a1", "error"]]);
  });

  it("returns null for other types and for a message with neither shape", () => {
    expect(normalizeCoordinatorMetrics(frame('{"type":"heartbeat","timestamp":"2026-11-25T19:50:58.438491"}'))).toBeNull();
    expect(normalizeCoordinatorMetrics(frame('{"type":"coordinator_metrics"}'))).toBeNull();
    expect(normalizeCoordinatorMetrics(frame('{"type":"coordinator_metrics","registered_agents":"1"}'))).toBeNull();
  });
});

describe("normalizeAgentStatus", () => {
  it("reads the broadcast form (status a string, metrics a sibling, backend metric names)", () => {
    const a = normalizeAgentStatus(
      frame('{"type":"agent_status","agent_name":"screenwriter","timestamp":"2026-11-25T19:49:44.657641","status":"busy","metrics":{"message_count":3,"error_count":1,"error_rate":0.0,"avg_execution_time":1.23,"is_healthy":true}}'),
      RECEIVED,
    );
    expect(a).toEqual({
      name: "screenwriter",
      status: "busy",
      capabilities: [],
      metrics: { tasksCompleted: 2, tasksFailed: 1, avgResponseTimeMs: 1230, uptimeSeconds: undefined, isHealthy: true },
      lastUpdate: new Date("2026-11-25T19:49:44.657Z"),
    });
  });

  it("reads the broadcast form with empty metrics", () => {
    const a = normalizeAgentStatus(frame('{"type":"agent_status","agent_name":"x","timestamp":"2026-11-25T19:49:44","status":"idle","metrics":{}}'), RECEIVED);
    expect(a?.status).toBe("idle");
    expect(a?.metrics).toEqual({ tasksCompleted: undefined, tasksFailed: undefined, avgResponseTimeMs: undefined, uptimeSeconds: undefined });
  });

  it("reads the connect-time object form", () => {
    const a = normalizeAgentStatus(
      frame(
        '{"type":"agent_status","agent_name":"screenwriter","status":{"name":"screenwriter","status":"idle","registered_at":"2026-11-25T19:00:00","metrics":{"message_count":0,"error_count":0,"error_rate":0.0,"avg_execution_time":0.0,"total_execution_time":0.0,"last_heartbeat":"2026-11-25T19:48:00.5","is_healthy":false}}}',
      ),
      RECEIVED,
    );
    expect(a).toEqual({
      name: "screenwriter",
      status: "idle",
      capabilities: [],
      metrics: { tasksCompleted: 0, tasksFailed: 0, avgResponseTimeMs: 0, uptimeSeconds: undefined, isHealthy: false },
      lastUpdate: new Date("2026-11-25T19:48:00.500Z"),
    });
  });

  it("reads an object form carrying the frontend's fields", () => {
    const a = normalizeAgentStatus(
      frame('{"type":"agent_status","agent_name":"w","status":{"status":"busy","capabilities":["a","b"],"currentTask":"t1","metrics":{"tasks_completed":7}}}'),
      RECEIVED,
    );
    expect(a?.capabilities).toEqual(["a", "b"]);
    expect(a?.currentTask).toBe("t1");
    expect(a?.metrics?.tasksCompleted).toBe(7);
    expect(a?.lastUpdate).toBe(RECEIVED);
  });

  it("returns null without an agent name or for another type", () => {
    expect(normalizeAgentStatus(frame('{"type":"agent_status","status":"busy"}'))).toBeNull();
    expect(normalizeAgentStatus(frame('{"type":"progress","agent_name":"x"}'))).toBeNull();
  });
});

describe("normalizeAgentMetrics", () => {
  it("never reports negative completed tasks", () => {
    expect(normalizeAgentMetrics({ message_count: 1, error_count: 3 })?.tasksCompleted).toBe(0);
  });

  it("prefers the frontend names when both are present", () => {
    expect(normalizeAgentMetrics({ tasks_completed: 9, message_count: 1 })?.tasksCompleted).toBe(9);
  });

  it("is undefined for a non-object", () => {
    expect(normalizeAgentMetrics("busy")).toBeUndefined();
  });
});

describe("mergeAgent", () => {
  it("keeps capabilities, task and metrics an update does not carry", () => {
    const prev = { name: "a", status: "busy", capabilities: ["x"], currentTask: "t", metrics: { tasksCompleted: 1 }, lastUpdate: null };
    const next = { name: "a", status: "busy", capabilities: [], lastUpdate: RECEIVED };
    expect(mergeAgent(prev, next)).toEqual({ name: "a", status: "busy", capabilities: ["x"], currentTask: "t", metrics: { tasksCompleted: 1 }, lastUpdate: RECEIVED });
  });

  it("drops the task once the agent is no longer busy", () => {
    const prev = { name: "a", status: "busy", capabilities: [], currentTask: "t", lastUpdate: null };
    expect(mergeAgent(prev, { name: "a", status: "idle", capabilities: [], lastUpdate: null }).currentTask).toBeUndefined();
  });
});

describe("normalizeProgress", () => {
  it("reads the broadcaster's form", () => {
    const p = normalizeProgress(
      frame('{"type":"progress","workflow_id":"wf-1","timestamp":"2026-11-25T19:49:35.579027","state":"running","progress":0.1,"stage":"outline","message":"Generating outline","details":{}}'),
    );
    expect(p).toEqual({
      workflowId: "wf-1",
      state: "running",
      progress: 0.1,
      stage: "outline",
      message: "Generating outline",
      tasks: [],
      error: null,
      timestamp: new Date("2026-11-25T19:49:35.579Z"),
    });
  });

  it("reads nulls, completion and failure details", () => {
    const done = normalizeProgress(frame('{"type":"progress","workflow_id":"wf-1","timestamp":"2026-11-25T19:49:35","state":"completed","progress":1.0,"stage":null,"message":null,"details":{}}'));
    expect([done?.state, done?.progress, done?.stage, done?.message]).toEqual(["completed", 1, null, null]);
    const failed = normalizeProgress(frame('{"type":"progress","workflow_id":"w","state":"failed","progress":0.4,"details":{"error":"boom","tasks":["outline","script"]}}'));
    expect(failed?.error).toBe("boom");
    expect(failed?.tasks).toEqual(["outline", "script"]);
  });

  it("reads the coordinator-native form (integer stage, total_stages, tasks, no state)", () => {
    const p = normalizeProgress(frame('{"type":"progress","workflow_id":"wf-9","timestamp":"2026-11-25T19:53:09.6","stage":1,"total_stages":3,"tasks":["outline"],"progress":0.0}'));
    expect(p).toMatchObject({ workflowId: "wf-9", state: null, progress: 0, stage: "1/3", tasks: ["outline"], message: null });
  });

  it("clamps progress to 0..1 and treats a non-number as absent", () => {
    expect(normalizeProgress(frame('{"type":"progress","workflow_id":"w","progress":1.7}'))?.progress).toBe(1);
    expect(normalizeProgress(frame('{"type":"progress","workflow_id":"w","progress":-2}'))?.progress).toBe(0);
    expect(normalizeProgress(frame('{"type":"progress","workflow_id":"w","progress":"50%"}'))?.progress).toBeNull();
  });

  it("returns null without a workflow id or for another type", () => {
    expect(normalizeProgress(frame('{"type":"progress","progress":0.5}'))).toBeNull();
    expect(normalizeProgress(frame('{"type":"status","workflow_id":"w"}'))).toBeNull();
  });
});
