"""Processing between conversion and the queue (PII redaction)."""
