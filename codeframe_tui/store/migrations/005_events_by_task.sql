-- A task's detail lists its tool calls from the event log: found by task and type, not by a scan.
CREATE INDEX idx_events_task_type ON events (task_key, type);
