// Idea to Video (/idea2video?episode=ID): the 🟢/🔴 indicator, and progress, stage and completion from `progress` messages on /ws/workflow/{id}.
import { expect, test } from "../support/fixtures";

test("shows progress, stage and completion from progress messages", async ({ idea2video, mock, shot }) => {
  await idea2video.goto("wf-1");
  await expect(idea2video.episodeId).toHaveText("wf-1");
  await idea2video.expectConnected();
  await expect(idea2video.indicator).toHaveText("🟢");
  const [open] = await mock.waitForEvents({ type: "open", path: "/ws/workflow/wf-1", since: mock.start });
  expect(open.room).toBe("workflow_wf-1");
  await expect(idea2video.progress).toHaveCount(0);

  const emit = async (state: string, progress: number, stage: string, message: string) => {
    const r = await mock.emit({ kind: "progress", workflow_id: "wf-1", state, progress, stage, message, details: {} });
    expect(r.delivered).toBe(1);
  };

  await emit("running", 0.25, "outline", "Writing the outline");
  await expect(idea2video.progress).toHaveAttribute("data-state", "running");
  await expect(idea2video.progressState).toHaveText("RUNNING");
  await expect(idea2video.progressStage).toHaveText("• outline");
  await expect(idea2video.progressPercentage).toHaveText("25%");
  await expect(idea2video.progressBar).toHaveAttribute("aria-valuenow", "25");
  await expect(idea2video.progressMessage).toHaveText("Writing the outline");
  await expect(idea2video.workflowStatus).toHaveText("generating");
  await expect(idea2video.chatLines).toHaveText(["进度更新: Writing the outline (25%)"]);

  await emit("running", 0.6, "scenes", "Generating scenes");
  await expect(idea2video.progressStage).toHaveText("• scenes");
  await expect(idea2video.progressPercentage).toHaveText("60%");
  await expect(idea2video.progressBar).toHaveAttribute("style", /width: 60%/);
  await shot("idea2video-progress");

  // Another workflow's progress does not reach this page (its room has no members: dropped).
  const other = await mock.emit({ kind: "progress", workflow_id: "wf-2", state: "running", progress: 0.9, stage: "video" });
  expect(other.delivered).toBe(0);

  await emit("completed", 1.0, "video", "Video ready");
  await expect(idea2video.progress).toHaveAttribute("data-state", "completed");
  await expect(idea2video.progressState).toHaveText("COMPLETED");
  await expect(idea2video.progressStage).toHaveText("• video");
  await expect(idea2video.progressPercentage).toHaveText("100%");
  await expect(idea2video.progressMessage).toHaveText("Video ready");
  await expect(idea2video.workflowStatus).toHaveText("ready");
  await expect(idea2video.chatLines).toHaveText([
    "进度更新: Writing the outline (25%)",
    "进度更新: Generating scenes (60%)",
    "进度更新: Video ready (100%)",
  ]);
  await shot("idea2video-completed");
});

test("shows a failed workflow from the workflow-failure scenario", async ({ idea2video, mock }) => {
  await mock.loadScenario("workflow-failure", 0.2);
  await idea2video.goto("wf-1");
  await idea2video.expectConnected();
  await mock.waitForEvents({ type: "open", path: "/ws/workflow/wf-1", since: mock.start });

  await expect(idea2video.progress).toHaveAttribute("data-state", "failed");
  await expect(idea2video.progressState).toHaveText("FAILED");
  await expect(idea2video.progressStage).toHaveText("• scenes");
  await expect(idea2video.progressPercentage).toHaveText("50%");
  await expect(idea2video.progressMessage).toHaveText("Workflow failed: model timeout");
  await expect(idea2video.workflowStatus).toHaveText("error");
  await expect(idea2video.chatLines).toHaveText([
    "进度更新: Writing the outline (10%)",
    "进度更新: Designing characters (30%)",
    "进度更新: Generating scenes (50%)",
    "进度更新: Workflow failed: model timeout (50%)",
  ]);
});

test("without an episode id there is no indicator, and the socket goes to /ws/workflow/pending", async ({ idea2video, mock }) => {
  await idea2video.goto(null);
  await expect(idea2video.episodeId).toHaveText("pending");
  const [open] = await mock.waitForEvents({ type: "open", path: "/ws/workflow/pending", since: mock.start });
  expect(open.room).toBe("workflow_pending");
  await expect(idea2video.reconnectText).toHaveText("Connected");
  await expect(idea2video.indicator).toHaveCount(0);
});

test("shows 🔴 while the workflow socket is refused (WS-001)", async ({ idea2video, mock }) => {
  await mock.loadScenario("ws-001-unregistered-router");
  const since = await mock.position();
  await idea2video.goto("wf-1", "ws_initial=100&ws_max=1&ws_jitter=0");
  await mock.waitForEvents({ type: "upgrade", path: "/ws/workflow/wf-1", since, count: 2, filter: (e) => e.status === 403 });
  await idea2video.expectDisconnected();
  await expect(idea2video.indicator).toHaveText("🔴");
  await idea2video.expectPhase("gave_up");
});
