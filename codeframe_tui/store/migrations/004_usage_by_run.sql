-- Which run made each model call: the run's spend is capped (budget run_usd) and shown.
ALTER TABLE model_calls ADD COLUMN run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL;
CREATE INDEX idx_model_calls_run ON model_calls (run_id);
