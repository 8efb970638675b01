"""Importers for plans people already have: spec-kit tasks.md, Task Master tasks.json, checklists."""

from codeframe_tui.plan.classify import classify_agent_type
from codeframe_tui.plan.importer import import_plan
from codeframe_tui.plan.model import ImportedPlan, PlanImportError, plan_to_json

__all__ = ["ImportedPlan", "PlanImportError", "classify_agent_type", "import_plan", "plan_to_json"]
