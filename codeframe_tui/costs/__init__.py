"""Money: what model calls cost (pricing), what was spent (usage totals), and the caps on spending (budget)."""
