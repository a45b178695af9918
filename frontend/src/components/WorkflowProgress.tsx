// WorkflowProgress -- the workflow progress panel: state icon, STATE • stage, Cancel, bar, percentage, message, tasks and error, as the app renders it.

const STATE_STYLE: Record<string, { icon: string; color: string }> = {
  completed: { icon: "✓", color: "#10b981" },
  failed: { icon: "✗", color: "#ef4444" },
  cancelled: { icon: "⊘", color: "#6b7280" },
  running: { icon: "⟳", color: "#3b82f6" },
};
const OTHER_STATE = { icon: "○", color: "#9ca3af" };

/** A workflow's progress as the page shows it. */
export interface ProgressView {
  state: string;
  /** 0..1 */
  progress: number;
  stage: string | null;
  message: string | null;
  tasks: string[];
  error: string | null;
}

export interface WorkflowProgressProps extends ProgressView {
  onCancel?: () => void;
}

export function percentOf(progress: number): number {
  return Math.round(Math.min(Math.max(progress, 0), 1) * 100);
}

export function WorkflowProgress({ state, progress, stage, message, tasks, error, onCancel }: WorkflowProgressProps) {
  const { icon, color } = STATE_STYLE[state] ?? OTHER_STATE;
  const pct = percentOf(progress);
  return (
    <div className="workflow-progress glass-card" data-testid="workflow-progress" data-state={state}>
      <div className="workflow-progress-header">
        <span className="workflow-progress-icon" data-testid="progress-icon" style={{ color }}>
          {icon}
        </span>
        <span className="workflow-progress-state" data-testid="progress-state" style={{ color }}>
          {state.toUpperCase()}
        </span>
        {stage && (
          <span className="workflow-progress-stage" data-testid="progress-stage">
            • {stage}
          </span>
        )}
        {state === "running" && onCancel && (
          <button type="button" className="glass-button workflow-cancel" title="Cancel workflow" data-testid="progress-cancel" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <div className="workflow-progress-track">
        <div
          className="workflow-progress-bar"
          data-testid="progress-bar"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          style={{ width: `${pct}%`, backgroundColor: color }}
        />
      </div>
      <div className="workflow-progress-percentage" data-testid="progress-percentage">
        {pct}%
      </div>
      {message && (
        <div className="workflow-progress-message" data-testid="progress-message">
          {message}
        </div>
      )}
      {tasks.length > 0 && (
        <div className="workflow-progress-tasks" data-testid="progress-tasks">
          Tasks: {tasks.join(", ")}
        </div>
      )}
      {error && (
        <div className="workflow-progress-error" data-testid="progress-error">
          Error: {error}
        </div>
      )}
    </div>
  );
}
