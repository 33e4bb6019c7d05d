"""Step 4, match: knowledge-base entries x log lines x facts x symptom -> ranked diagnoses."""
