// @vitest-environment jsdom
// Idea2Video.test -- the /idea2video page against a fake socket: the 🟢/🔴 indicator and titles, progress bar/percentage/stage, progress chat lines, episode switch.
import { describe, expect, it, vi } from "vitest";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { pageHarness } from "../test/pageHarness";
import { allByTestId, byTestId, click, flush, step, typeInto } from "../test/render";

const open = pageHarness();

function progress(workflowId: string, state: string | null, p: number | null, stage: string | null, message: string | null, details: object = {}) {
  const m: Record<string, unknown> = { type: "progress", workflow_id: workflowId, timestamp: "2026-11-25T19:49:35.579027" };
  if (state !== null) m.state = state;
  if (p !== null) m.progress = p;
  m.stage = stage;
  m.message = message;
  m.details = details;
  return m;
}

describe("Idea to Video", () => {
  it("connects to /ws/workflow/pending and shows no indicator without an episode", async () => {
    const c = await open("/idea2video");
    expect(FakeWebSocket.instances.map((s) => s.url)).toEqual(["ws://localhost:3000/ws/workflow/pending"]);
    step(() => FakeWebSocket.last().open());
    expect(allByTestId(c, "ws-status-indicator")).toHaveLength(0);
    expect(byTestId(c, "episode-id").textContent).toBe("pending");
  });

  it("shows 🔴 WebSocket未连接 then 🟢 WebSocket已连接 for an episode, inside .chat-brand after the model indicator", async () => {
    const c = await open("/idea2video?episode=wf-1");
    expect(FakeWebSocket.last().url).toBe("ws://localhost:3000/ws/workflow/wf-1");
    let ind = byTestId(c, "ws-status-indicator");
    expect([ind.textContent, ind.title, ind.className]).toEqual(["🔴", "WebSocket未连接", "ws-status-indicator"]);
    expect(ind.parentElement?.className).toBe("chat-brand");
    expect(ind.previousElementSibling?.className).toBe("llm-model-indicator");
    step(() => FakeWebSocket.last().open());
    ind = byTestId(c, "ws-status-indicator");
    expect([ind.textContent, ind.title]).toEqual(["🟢", "WebSocket已连接"]);
    step(() => FakeWebSocket.last().serverClose(1006));
    expect(byTestId(c, "ws-status-indicator").title).toBe("WebSocket未连接");
  });

  it("renders progress: bar, percentage, state, stage, message, and a chat line", async () => {
    const c = await open("/idea2video?episode=wf-1");
    const ws = FakeWebSocket.last();
    step(() => ws.open());
    expect(c.querySelector(".websocket-progress-container")).toBeNull();
    step(() => ws.receive('{"type":"progress","workflow_id":"wf-1","timestamp":"2026-11-25T19:49:35.579027","state":"running","progress":0.1,"stage":"outline","message":"Generating outline","details":{}}'));
    const panel = c.querySelector(".websocket-progress-container [data-testid=workflow-progress]") as HTMLElement;
    expect(panel).not.toBeNull();
    expect(byTestId(c, "progress-bar").style.width).toBe("10%");
    expect(byTestId(c, "progress-percentage").textContent).toBe("10%");
    expect(byTestId(c, "progress-state").textContent).toBe("RUNNING");
    expect(byTestId(c, "progress-icon").textContent).toBe("⟳");
    expect(byTestId(c, "progress-stage").textContent).toBe("• outline");
    expect(byTestId(c, "progress-message").textContent).toBe("Generating outline");
    expect(byTestId(c, "workflow-status").textContent).toBe("generating");
    expect(byTestId(c, "workflow-step").textContent).toBe("outline");
    expect(allByTestId(c, "chat-line").map((e) => e.textContent)).toEqual(["进度更新: Generating outline (10%)"]);

    step(() => ws.receive(progress("wf-1", "running", 0.456, "characters", "Creating characters", { tasks: ["characters", "scenes"] })));
    expect(byTestId(c, "progress-percentage").textContent).toBe("46%");
    expect(byTestId(c, "progress-tasks").textContent).toBe("Tasks: characters, scenes");
    step(() => ws.receive(progress("wf-1", "completed", 1.0, null, null)));
    expect(byTestId(c, "progress-state").textContent).toBe("COMPLETED");
    expect(byTestId(c, "progress-icon").textContent).toBe("✓");
    expect(byTestId(c, "progress-percentage").textContent).toBe("100%");
    expect(byTestId(c, "workflow-status").textContent).toBe("ready");
    expect(allByTestId(c, "progress-cancel")).toHaveLength(0); // Cancel only while running
    expect(allByTestId(c, "chat-line")).toHaveLength(2); // no message: no chat line
  });

  it("shows a failure with its error, and maps failed to the error status", async () => {
    const c = await open("/idea2video?episode=wf-1");
    step(() => FakeWebSocket.last().open());
    step(() => FakeWebSocket.last().receive(progress("wf-1", "failed", 0.3, "scenes", "Scene generation failed", { error: "Task 'outline' timed out after 60 seconds" })));
    expect(byTestId(c, "progress-state").textContent).toBe("FAILED");
    expect(byTestId(c, "progress-error").textContent).toBe("Error: Task 'outline' timed out after 60 seconds");
    expect(byTestId(c, "workflow-status").textContent).toBe("error");
  });

  it("ignores another workflow's progress and other message types; a 0 progress adds no chat line", async () => {
    const c = await open("/idea2video?episode=wf-1");
    const ws = FakeWebSocket.last();
    step(() => ws.open());
    step(() => ws.receive(progress("wf-2", "running", 0.5, "outline", "other")));
    step(() => ws.receive('{"type":"info","message":"Connected to ViMax WebSocket server","timestamp":"2026-11-25T19:49:16.468428","client_id":"workflow_wf-1_00eb8f56","room":"workflow_wf-1"}'));
    step(() => ws.receive('{"type":"error","message":"Coordinator not available"}'));
    expect(c.querySelector("[data-testid=workflow-progress]")).toBeNull();
    step(() => ws.receive(progress("wf-1", "running", 0.0, "outline", "Starting")));
    expect(byTestId(c, "progress-percentage").textContent).toBe("0%");
    expect(allByTestId(c, "chat-line")).toHaveLength(0);
    // a later 0 (a restarted run) shows 0 %, where the app's `progress || prev` kept the old value
    step(() => ws.receive(progress("wf-1", "running", 0.5, "outline", null)));
    step(() => ws.receive(progress("wf-1", "running", 0.0, "outline", null)));
    expect(byTestId(c, "progress-percentage").textContent).toBe("0%");
    // a message without progress keeps the previous value
    step(() => ws.receive(progress("wf-1", "running", 0.5, "outline", null)));
    step(() => ws.receive(progress("wf-1", "running", null, "scenes", null)));
    expect(byTestId(c, "progress-percentage").textContent).toBe("50%");
  });

  it("shows the coordinator's integer stage as N/M", async () => {
    const c = await open("/idea2video?episode=wf-9");
    step(() => FakeWebSocket.last().open());
    step(() => FakeWebSocket.last().receive('{"type":"progress","workflow_id":"wf-9","timestamp":"2026-11-25T19:53:09.6","stage":1,"total_stages":1,"tasks":["outline"],"progress":0.0}'));
    expect(byTestId(c, "progress-stage").textContent).toBe("• 1/1");
    expect(byTestId(c, "progress-state").textContent).toBe("RUNNING");
  });

  it("switches from pending to the episode's socket and closes the old one for good", async () => {
    const c = await open("/idea2video");
    const pending = FakeWebSocket.last();
    step(() => pending.open());
    typeInto(byTestId(c, "episode-input") as HTMLInputElement, "wf-42");
    click(byTestId(c, "episode-submit"));
    await flush();
    expect(pending.closedByClient?.code).toBe(1000);
    expect(FakeWebSocket.last().url).toBe("ws://localhost:3000/ws/workflow/wf-42");
    step(() => FakeWebSocket.last().open());
    step(() => vi.advanceTimersByTime(60_000));
    expect(FakeWebSocket.live().map((s) => s.url)).toEqual(["ws://localhost:3000/ws/workflow/wf-42"]);
    expect(byTestId(c, "ws-status-indicator").title).toBe("WebSocket已连接");
  });

  it("Cancel only adds 取消功能即将推出 to the chat and sends nothing", async () => {
    const c = await open("/idea2video?episode=wf-1&ws_heartbeat=0");
    const ws = FakeWebSocket.last();
    step(() => ws.open());
    step(() => ws.receive(progress("wf-1", "running", 0.2, "outline", null)));
    const cancel = byTestId(c, "progress-cancel");
    expect([cancel.textContent, cancel.title]).toEqual(["Cancel", "Cancel workflow"]);
    click(cancel);
    expect(allByTestId(c, "chat-line").map((e) => e.textContent)).toEqual(["取消功能即将推出"]);
    expect(ws.sent).toEqual([]);
  });
});
