// Idea2Video -- the /idea2video page's WebSocket surfaces: /ws/workflow/{episode|pending}, the 🟢/🔴 indicator, workflow progress and progress chat lines (PROTOCOL.md 4.5, 5).
import { FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { ReconnectStatus } from "../components/ReconnectStatus";
import { percentOf, type ProgressView, WorkflowProgress } from "../components/WorkflowProgress";
import { useAppWebSocket } from "../hooks/useAppWebSocket";
import { normalizeProgress, ProgressUpdate, WsObject } from "../ws/messages";
import { workflowPath } from "../ws/url";

/** The stages the app maps to its `step` (PROTOCOL.md 5). */
const STAGE_STEPS = new Set(["outline", "characters", "scenes", "storyboard", "video"]);

/** The page status the app derives from a progress state: running -> generating, completed -> ready, failed -> error. */
const STATE_TO_STATUS: Record<string, PageStatus> = { running: "generating", completed: "ready", failed: "error" };

type PageStatus = "idle" | "generating" | "ready" | "error";

export interface ChatLine {
  id: number;
  role: "system" | "user";
  text: string;
}

export interface PageState {
  status: PageStatus;
  step: string;
  progress: ProgressView | null;
  chat: ChatLine[];
}

/**
 * Applies one progress message for the current episode, as the app does, with one correction: a progress of
 * 0 is taken as 0 (the app's `message.progress || prev` kept the previous value). A message without a state
 * (the coordinator's per-stage form) keeps the previous state, or `running` for the first one.
 */
export function applyProgress(prev: PageState, p: ProgressUpdate, nextId: number): PageState {
  const before = prev.progress;
  const progress: ProgressView = {
    state: p.state ?? before?.state ?? "running",
    progress: p.progress ?? before?.progress ?? 0,
    stage: p.stage ?? before?.stage ?? null,
    message: p.message ?? before?.message ?? null,
    tasks: p.tasks.length > 0 ? p.tasks : before?.tasks ?? [],
    error: p.error,
  };
  const status = (p.state !== null ? STATE_TO_STATUS[p.state] : undefined) ?? prev.status;
  const step = p.stage !== null && STAGE_STEPS.has(p.stage) ? p.stage : prev.step;
  let chat = prev.chat;
  if (p.message && p.progress !== null && p.progress > 0) {
    chat = [...chat, { id: nextId, role: "system", text: `进度更新: ${p.message} (${percentOf(p.progress)}%)` }];
  }
  return { status, step, progress, chat };
}

const INITIAL: PageState = { status: "idle", step: "input", progress: null, chat: [] };

export function Idea2Video() {
  const [params] = useSearchParams();
  const [episodeId, setEpisodeId] = useState<string | null>(() => params.get("episode") || null);
  const [draft, setDraft] = useState("");
  const [page, setPage] = useState<PageState>(INITIAL);
  const episodeRef = useRef(episodeId);
  const nextId = useRef(1);

  useEffect(() => {
    episodeRef.current = episodeId;
  }, [episodeId]);

  const onMessage = useCallback((msg: WsObject) => {
    // useWorkflowWebSocket passes only `progress`; the page takes only its own episode's.
    const p = normalizeProgress(msg);
    if (!p || episodeRef.current === null || p.workflowId !== episodeRef.current) return;
    const id = nextId.current++;
    setPage((prev) => applyProgress(prev, p, id));
  }, []);

  const ws = useAppWebSocket(workflowPath(episodeId ?? "pending"), onMessage);

  const addChat = (role: ChatLine["role"], text: string) => {
    const id = nextId.current++;
    setPage((prev) => ({ ...prev, chat: [...prev.chat, { id, role, text }] }));
  };

  const submitEpisode = (e: FormEvent) => {
    e.preventDefault();
    const id = draft.trim();
    if (id === "" || id === episodeId) return;
    setPage(INITIAL);
    setEpisodeId(id);
  };

  return (
    <div className="idea2video-page" data-testid="idea2video" data-ws-mode={ws.mode}>
      <div className="chat-panel glass-card">
        <div className="chat-header">
          <div className="chat-brand">
            <span className="chat-title">Idea to Video</span>
            <span className="llm-model-indicator">LLM: default</span>
            {episodeId &&
              (ws.isConnected ? (
                <span className="ws-status-indicator" data-testid="ws-status-indicator" data-connected="true" title="WebSocket已连接">
                  🟢
                </span>
              ) : (
                <span className="ws-status-indicator" data-testid="ws-status-indicator" data-connected="false" title="WebSocket未连接">
                  🔴
                </span>
              ))}
          </div>
        </div>
        <ReconnectStatus status={ws.status} mode={ws.mode} onRetry={ws.retryNow} />
        <div className="ws-url" data-testid="ws-url">
          {ws.url}
        </div>
        <div className="workflow-meta">
          <span data-testid="episode-id">{episodeId ?? "pending"}</span>
          <span data-testid="workflow-status">{page.status}</span>
          <span data-testid="workflow-step">{page.step}</span>
        </div>
        <div className="chat-messages" data-testid="chat-messages">
          {page.chat.map((line) => (
            <div key={line.id} className={`chat-line chat-line-${line.role}`} data-testid="chat-line" data-role={line.role}>
              {line.text}
            </div>
          ))}
        </div>
        <form className="episode-form" onSubmit={submitEpisode}>
          <input
            className="glass-input"
            data-testid="episode-input"
            placeholder="Episode id (e.g. wf-42)"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit" className="glass-button" data-testid="episode-submit">
            Use episode
          </button>
        </form>
      </div>
      {episodeId && page.progress && (
        <div className="websocket-progress-container">
          <WorkflowProgress {...page.progress} onCancel={() => addChat("system", "取消功能即将推出")} />
        </div>
      )}
    </div>
  );
}
